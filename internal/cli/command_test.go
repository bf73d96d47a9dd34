package cli

import (
	"io"

	"github.com/balancebot/balancebot/internal/engine"
	"github.com/balancebot/balancebot/internal/exports"
	"github.com/balancebot/balancebot/internal/render"
	"github.com/balancebot/balancebot/internal/service"
)

// command is the reconcile command wired as cmd/balancebot wires it: the
// real readers and renderers.
func command() *Command {
	read := func(name string, r io.Reader, h service.Hint) (*engine.Report, error) {
		return exports.Read(name, r, exports.Options{Kind: h.Kind, Location: h.Location, IECodes: h.IECodes})
	}
	return &Command{Service: service.New(read, nil), Render: render.Write}
}
