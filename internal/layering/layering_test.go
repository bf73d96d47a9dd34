package layering

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/balancebot/balancebot/"

// Layers of the packages under internal/ (cmd/ is main).
const (
	rulebook = "the rules"
	core     = "core"
	adapter  = "adapter"
	testing_ = "test tool"
)

// layer says where each package stands. A new package fails the test
// until it is placed here: placing it is a decision worth making.
var layer = map[string]string{
	"internal/rules":     rulebook,
	"internal/engine":    core,
	"internal/clock":     core,
	"internal/service":   core,
	"internal/exports":   adapter, // the export files
	"internal/store":     adapter, // the store: SQLite or PostgreSQL
	"internal/slackbot":  adapter, // Slack
	"internal/schedule":  adapter, // the clock's schedules (cron)
	"internal/render":    adapter, // text, JSON and CSV for people and scripts
	"internal/cli":       adapter, // the command line
	"internal/ops":       adapter, // health and metrics over HTTP
	"internal/fakeslack": testing_,
	"internal/exportgen": testing_,
	"internal/layering":  testing_,
	"internal/golden":    testing_,
	"internal/pgtest":    testing_,
}

// allowedInRules are the imports from outside the standard library the
// rules may use: Unicode normalisation folds accents in names.
var allowedInRules = []string{"golang.org/x/text/unicode/norm"}

type pkg struct {
	ImportPath string
	Dir        string
	Imports    []string
	GoFiles    []string
	SFiles     []string
	Standard   bool
}

func list(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", "./...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func own(path string) (string, bool) { return strings.CutPrefix(path, module) }

func standard(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

func TestLayers(t *testing.T) {
	pkgs := list(t)
	if len(pkgs) < 10 {
		t.Fatalf("go list found %d packages", len(pkgs))
	}
	for _, p := range pkgs {
		name, _ := own(p.ImportPath)
		if strings.HasPrefix(name, "cmd/") {
			continue // main wires everything
		}
		from, ok := layer[name]
		if !ok {
			t.Errorf("%s is in no layer: place it in layering_test.go", name)
			continue
		}
		for _, imp := range p.Imports {
			to, mine := own(imp)
			switch {
			case from == rulebook && !standard(imp) && !slices.Contains(allowedInRules, imp):
				t.Errorf("%s imports %s: the rules import only the standard library (and %v)", name, imp, allowedInRules)
			case from == rulebook && (imp == "unsafe" || imp == "syscall" || imp == "runtime" || strings.HasPrefix(imp, "runtime/")):
				t.Errorf("%s imports %s: the rules are plain Go, with no unsafe, syscall or runtime", name, imp)
			case !mine:
			case strings.HasPrefix(to, "cmd/"):
				t.Errorf("%s imports %s: nothing imports a command", name, to)
			case layer[to] == testing_ && from != testing_:
				t.Errorf("%s imports %s: test tools are for tests and cmd/ only", name, to)
			case from == rulebook:
				t.Errorf("%s imports %s: the rules import none of balancebot's packages", name, to)
			case from == core && layer[to] == adapter:
				t.Errorf("%s imports %s: the core (engine, service, clock) imports no adapter; adapters plug into it", name, to)
			case from == adapter && layer[to] == adapter:
				t.Errorf("%s imports %s: an adapter imports no other adapter; only cmd/ wires adapters together", name, to)
			}
		}
		if from == rulebook {
			rulesArePlain(t, p)
		}
	}
}

// rulesArePlain checks that the rules have no assembly and start no
// goroutines: they read like result.md, and the engine does the speed.
func rulesArePlain(t *testing.T, p pkg) {
	t.Helper()
	if len(p.SFiles) > 0 {
		t.Errorf("%s has assembly (%v): the rules are plain Go", p.ImportPath, p.SFiles)
	}
	fset := token.NewFileSet()
	for _, f := range p.GoFiles {
		file, err := parser.ParseFile(fset, filepath.Join(p.Dir, f), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			if g, ok := n.(*ast.GoStmt); ok {
				t.Errorf("%s: a go statement: the rules start no goroutines", fset.Position(g.Pos()))
			}
			return true
		})
	}
}
