// Package cli is the command line's reconcile command: it reads export
// files, balances them and prints the result as text, JSON or CSV, with the
// exit status of diff (0 balanced, 1 not balanced, 2 trouble).
package cli

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/balancebot/balancebot/internal/rules"
	"github.com/balancebot/balancebot/internal/service"
)

// Exit statuses of reconcile.
const (
	ExitBalanced    = 0
	ExitNotBalanced = 1
	ExitTrouble     = 2
)

// ReconcileUsage is the reconcile command's synopsis.
const ReconcileUsage = `usage: balancebot reconcile [--format text|json|csv] [--location NAME]
                           [--from YYYY-MM-DD] [--to YYYY-MM-DD]
                           [--kind FILE=KIND]... [--ie-codes CODE,...]
                           [--location-map FILE] FILE...

Balances the visits of EMR exports against billing exports by location and
date of service, and explains every visit that is on one side only.
FILEs are CSV or XLSX exports; their kinds are recognised from content.
Exit status: 0 balanced, 1 not balanced, 2 the files could not be used.
`

type kindFlags map[string]rules.Kind

func (k kindFlags) String() string { return "" }

func (k kindFlags) Set(s string) error {
	file, name, ok := strings.Cut(s, "=")
	if !ok || file == "" {
		return fmt.Errorf("--kind takes FILE=KIND, as in --kind cas.xlsx=charge_audit_summary")
	}
	kind, err := rules.ParseKind(name)
	if err != nil {
		return err
	}
	k[file] = kind
	return nil
}

// Command is the reconcile command. It only translates: flags and paths
// in, the service's result out through Render, and an exit status.
type Command struct {
	// Service reads and balances the files.
	Service *service.Service
	// Render writes a result in a format: "text", "json" or "csv", with
	// patient names in full (the files are the user's own).
	Render func(w io.Writer, format string, res *rules.Result) error
}

// Reconcile runs "balancebot reconcile" with args (after the subcommand)
// and returns the exit status.
func (c *Command) Reconcile(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("reconcile", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	format := fs.String("format", "text", "")
	location := fs.String("location", "", "")
	from := fs.String("from", "", "")
	to := fs.String("to", "", "")
	ieCodes := fs.String("ie-codes", "", "")
	locationMap := fs.String("location-map", "", "")
	kinds := kindFlags{}
	fs.Var(kinds, "kind", "")
	fail := func(format string, args ...any) int {
		fmt.Fprintf(stderr, "balancebot reconcile: "+format+"\n", args...)
		return ExitTrouble
	}

	// Flags may come before or after the files, as in
	// "reconcile week/* --format json".
	var files []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(stdout, ReconcileUsage)
				return ExitBalanced
			}
			return fail("%v\n\n%s", err, ReconcileUsage)
		}
		rest = fs.Args()
		if len(rest) == 0 {
			break
		}
		files = append(files, rest[0])
		rest = rest[1:]
	}
	if *format != "text" && *format != "json" && *format != "csv" {
		return fail("--format is text, json or csv, not %q", *format)
	}
	if len(files) == 0 {
		return fail("no files given.\n\n%s", ReconcileUsage)
	}
	var opt rules.Options
	var err error
	if *from != "" {
		if opt.Period.From, err = rules.ParseISODate(*from); err != nil {
			return fail("--from: %v", err)
		}
	}
	if *to != "" {
		if opt.Period.To, err = rules.ParseISODate(*to); err != nil {
			return fail("--to: %v", err)
		}
	}
	opt.Location = *location
	if *locationMap != "" {
		if opt.Locations, err = readLocationMap(*locationMap); err != nil {
			return fail("%s", message(err))
		}
	}
	var ie rules.CodeSet
	if *ieCodes != "" {
		ie = rules.NewCodeSet(strings.Split(*ieCodes, ",")...)
		if len(ie) == 0 {
			return fail("--ie-codes: no codes in %q", *ieCodes)
		}
	}
	for file := range kinds {
		if !given(files, file) {
			return fail("--kind names %s, which is not one of the files given", file)
		}
	}

	// --location goes to the balance, not the reader: it names only the
	// location of files that carry none, and the files' own spelling of a
	// location wins. The order of the files is kept: a later export of
	// the same report replaces an earlier one.
	srcs := make([]service.Source, len(files))
	for i, path := range files {
		kind := kinds[path]
		if kind == "" {
			kind = kinds[filepath.Base(path)]
		}
		name := filepath.Base(path)
		srcs[i] = service.Source{Name: name, Hint: service.Hint{Kind: kind, IECodes: ie}, Open: func() (io.ReadCloser, error) {
			f, err := os.Open(path)
			if err != nil {
				return nil, rules.FileErrorf(name, "cannot open the file: %v", errors.Unwrap(err))
			}
			return f, nil
		}}
	}
	res, problems, err := c.Service.Reconcile(context.Background(), srcs, opt)
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintf(stderr, "balancebot reconcile: %s\n", message(p))
		}
		if len(problems) < len(files) {
			fmt.Fprintf(stderr, "Nothing was balanced: fix %s and run again.\n", plural(len(problems), "that file", "those files"))
		}
		return ExitTrouble
	}
	if err != nil {
		return fail("%s", message(err))
	}
	err = c.Render(stdout, *format, res)
	if err != nil {
		return fail("writing the result: %v", err)
	}
	if res.Balanced {
		return ExitBalanced
	}
	return ExitNotBalanced
}

func given(files []string, name string) bool {
	for _, f := range files {
		if f == name || filepath.Base(f) == name {
			return true
		}
	}
	return false
}

// message is what the command line says about err: its message, and how
// to tell balancebot what mends it, with this command's flags.
func message(err error) string {
	msg := rules.ErrorMessage(err)
	switch rules.ErrorFix(err) {
	case rules.FixKind:
		msg += " Say it with --kind FILE=KIND."
	case rules.FixLocation:
		msg += " Say it with --location NAME."
	case rules.FixPeriod:
		msg += " Give them with --from YYYY-MM-DD and --to YYYY-MM-DD."
	}
	return msg
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// readLocationMap reads a location map: a two-column CSV, with or without
// the header row "name,location", each row saying that a location name
// found in an export means that location.
func readLocationMap(path string) (rules.LocationMap, error) {
	name := filepath.Base(path)
	f, err := os.Open(path)
	if err != nil {
		return nil, rules.FileErrorf(name, "cannot open the location map: %v", errors.Unwrap(err))
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	m := rules.LocationMap{}
	for row := 1; ; row++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, rules.FileErrorf(name, "the location map cannot be read as CSV (%v). Write one row per name: name,location.", err)
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) != 2 || strings.TrimSpace(rec[0]) == "" || strings.TrimSpace(rec[1]) == "" {
			return nil, rules.RowErrorf(name, row, "a location map row has two cells, the name found in an export and the location it means, as in: DOWNTOWN PT,Downtown.")
		}
		if row == 1 && rules.LocationKey(rec[0]) == "name" && rules.LocationKey(rec[1]) == "location" {
			continue // the header row
		}
		m.Map(rec[0], rec[1])
	}
	return m, nil
}
