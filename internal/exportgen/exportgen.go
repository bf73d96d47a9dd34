// Package exportgen writes a pair of synthetic exports, an EMR Billing
// Report and a Charge Audit Summary in the clean layouts of
// docs/exports.md, with a known set of one-sided visits, for benchmarks and
// for checking the balance at sizes no real sample reaches.
package exportgen

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"

	"github.com/balancebot/balancebot/internal/rules"
)

// Config says what to generate.
type Config struct {
	// Lines is about how many CPT lines each side gets.
	Lines int
	// Locations is how many clinics the visits spread over.
	Locations int
	// OneSided is, per thousand visits, how many are left out of billing
	// and how many are added to billing only.
	OneSidedPerMille int
	// From is the first date of service; visits fall on the 20 weekdays
	// from there.
	From rules.Date
	Seed uint64
}

// Expected is what a correct balance of the generated pair finds.
type Expected struct {
	EMRVisits     int `json:"emr_visits"`
	BillingVisits int `json:"billing_visits"`
	MatchedVisits int `json:"matched_visits"`
	EMROnly       int `json:"emr_only"`
	BillingOnly   int `json:"billing_only"`
	EMRLines      int `json:"emr_lines"`
	BillingLines  int `json:"billing_lines"`
	Locations     int `json:"locations"`
}

// DefaultConfig is a month for a large group: about n lines a side over
// hundreds of clinics.
func DefaultConfig(lines int) Config {
	locs := max(1, min(300, lines/3000))
	return Config{Lines: lines, Locations: locs, OneSidedPerMille: 5, From: rules.DateOf(2026, 11, 2), Seed: 1}
}

var firstNames = []string{
	"James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
	"William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen",
	"Christopher", "Lisa", "Daniel", "Nancy", "Matthew", "Betty", "Anthony", "Sandra", "Mark", "Margaret",
	"Donald", "Ashley", "Steven", "Kimberly", "Andrew", "Emily", "Paul", "Donna", "Joshua", "Michelle",
	"Kenneth", "Carol", "Kevin", "Amanda", "Brian", "Melissa", "George", "Deborah", "Timothy", "Stephanie",
	"Maria", "José", "Luis", "Ana", "Thanh", "Mei", "Aisha", "Omar", "Priya", "Kenji",
}

var syllables = []string{"ka", "ro", "li", "man", "son", "ber", "ton", "vi", "chez", "do", "ra", "wicz", "er", "en", "ov", "ell", "ford", "ley", "mar", "tin"}

// lastName makes the i-th of many distinct surnames from syllables.
func lastName(i int) string {
	s := syllables[i%len(syllables)] + syllables[(i/len(syllables))%len(syllables)] + syllables[(i/400)%len(syllables)]
	if i%7 == 0 {
		s = "o'" + s
	}
	if i%11 == 0 {
		s += "-" + syllables[(i/3)%len(syllables)] + "s"
	}
	b := []byte(s)
	b[0] -= 'a' - 'A'
	if b[0] == 'O' && len(b) > 2 && b[1] == '\'' {
		b[2] -= 'a' - 'A'
	}
	return string(b)
}

var plans = [][]struct {
	cpt   string
	units int
}{
	{{"97110", 2}, {"97140", 1}},
	{{"97110", 2}, {"97530", 1}, {"97140", 1}},
	{{"97112", 1}, {"97110", 2}},
	{{"97110", 3}},
	{{"97161", 1}, {"97110", 1}},
}

// Generate writes the EMR side to emr and the billing side to billing and
// returns what a correct balance finds.
func Generate(emr, billing io.Writer, cfg Config) (Expected, error) {
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
	ew := bufio.NewWriterSize(emr, 1<<20)
	bw := bufio.NewWriterSize(billing, 1<<20)
	fmt.Fprint(ew, "Patient,Date of Service,Location,Therapist,Visit Type,CPT Code,Modifiers,Units,Finalized Date\n")
	fmt.Fprint(bw, "Patient,Account #,Date of Service,Location,Provider,Insurance Class,CPT Code,Mod 1,Units,Charges,Created Date\n")

	// About 2.3 lines a visit, 6 visits a patient a month.
	patients := max(1, cfg.Lines*10/23/6)
	var days []rules.Date
	for d := cfg.From; len(days) < 20; d++ {
		if wd := d.Weekday(); wd != 0 && wd != 6 {
			days = append(days, d)
		}
	}
	var exp Expected
	exp.Locations = cfg.Locations
	type seen struct {
		p int
		d rules.Date
	}
	used := map[seen]bool{}
	classes := []string{"Commercial", "Medicare", "Medicaid", "Workers Comp", "Self Pay"}
	for exp.EMRLines < cfg.Lines {
		p := rng.IntN(patients)
		d := days[rng.IntN(len(days))]
		if used[seen{p, d}] {
			continue // one visit a patient a day keeps the expectation exact
		}
		used[seen{p, d}] = true
		first := firstNames[p%len(firstNames)]
		last := lastName(p / len(firstNames))
		loc := fmt.Sprintf("Clinic %03d", p%cfg.Locations+1)
		acct := 100000 + p
		y, m, day := d.Civil()
		dos := fmt.Sprintf("%d/%d/%d", m, day, y)
		created := d.AddDays(1 + rng.IntN(3))
		cy, cm, cd := created.Civil()
		plan := plans[rng.IntN(len(plans))]
		r := rng.IntN(1000)
		emrOnly := r < cfg.OneSidedPerMille
		billOnly := r >= cfg.OneSidedPerMille && r < 2*cfg.OneSidedPerMille
		if !billOnly {
			exp.EMRVisits++
			for _, l := range plan {
				fmt.Fprintf(ew, "\"%s, %s\",%s,%s,\"Therapist %d, PT\",Daily Note,%s,GP,%d,%d/%d/%d\n", last, first, dos, loc, p%40, l.cpt, l.units, m, day, y)
				exp.EMRLines++
			}
		}
		if !emrOnly {
			exp.BillingVisits++
			// Billing writes names "FIRST LAST" in capitals and may scrub a unit.
			for _, l := range plan {
				u := l.units
				if u == 3 && rng.IntN(4) == 0 {
					u = 2
				}
				fmt.Fprintf(bw, "%s %s,%d,%s,%s,\"Therapist %d, PT\",%s,%s,GP,%d,%d.00,%d/%d/%d\n", upper(first), upper(last), acct, dos, loc, p%40, classes[p%len(classes)], l.cpt, u, 40*u, cm, cd, cy)
				exp.BillingLines++
			}
		}
		switch {
		case emrOnly:
			exp.EMROnly++
		case billOnly:
			exp.BillingOnly++
		default:
			exp.MatchedVisits++
		}
	}
	if err := ew.Flush(); err != nil {
		return exp, err
	}
	return exp, bw.Flush()
}

func upper(s string) string {
	b := []rune(s)
	for i, r := range b {
		if r >= 'a' && r <= 'z' {
			b[i] = r - 'a' + 'A'
		} else if r == 'é' {
			b[i] = 'É'
		}
	}
	return string(b)
}
