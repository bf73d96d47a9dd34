package exports

import "testing"

func TestIDCell(t *testing.T) {
	for in, want := range map[string]string{
		"10028":     "10028",
		"10028.0":   "10028",
		"10028.00":  "10028",
		"1.0028E+4": "10028",
		"1.0028e4":  "10028",
		"00123":     "00123", // a text cell's leading zeros are kept
		"00123.0":   "00123.0",
		"A-10028.0": "A-10028.0",
		"10028.5":   "10028.5",
		"":          "",
		"0.0":       "0",
		"12.34.0":   "12.34.0",
		"P1002":     "P1002",
		"1.5E+0":    "1.5E+0",
		"9.99E+20":  "9.99E+20",
	} {
		if got := idCell(in); got != want {
			t.Errorf("idCell(%q) = %q, want %q", in, got, want)
		}
	}
}
