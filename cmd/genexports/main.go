// Command genexports writes a pair of synthetic exports (an EMR Billing
// Report and a Charge Audit Summary) of a given size, with a known set of
// one-sided visits, and prints what a correct balance finds as JSON.
//
//	go run ./cmd/genexports -lines 1000000 -out /tmp/big
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/balancebot/balancebot/internal/exportgen"
)

func main() {
	lines := flag.Int("lines", 10000, "about how many CPT lines each side gets")
	out := flag.String("out", ".", "directory to write emr.csv, billing.csv and expected.json to")
	locs := flag.Int("locations", 0, "clinics to spread visits over (0: one per 3,000 lines, at most 300)")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if err := run(*lines, *out, *locs, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "genexports:", err)
		os.Exit(1)
	}
}

func run(lines int, out string, locs int, seed uint64) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	cfg := exportgen.DefaultConfig(lines)
	cfg.Seed = seed
	if locs > 0 {
		cfg.Locations = locs
	}
	emr, err := os.Create(filepath.Join(out, "emr.csv"))
	if err != nil {
		return err
	}
	defer emr.Close()
	bill, err := os.Create(filepath.Join(out, "billing.csv"))
	if err != nil {
		return err
	}
	defer bill.Close()
	exp, err := exportgen.Generate(emr, bill, cfg)
	if err != nil {
		return err
	}
	b, _ := json.MarshalIndent(exp, "", "  ")
	if err := os.WriteFile(filepath.Join(out, "expected.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Printf("%s\n", b)
	return emr.Close()
}
