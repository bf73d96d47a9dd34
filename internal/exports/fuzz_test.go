package exports

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/balancebot/balancebot/internal/rules"
)

// FuzzRead feeds arbitrary bytes to the reader. Whatever the file holds,
// Read must not panic (a recovered panic comes back as EInternal), and any
// error must name the file so the user knows which upload it is about.
func FuzzRead(f *testing.F) {
	examples, _ := filepath.Glob("../../examples/*/*")
	for _, path := range examples {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, seed := range []string{
		"",
		"Patient,Date of Service,CPT Code,Units\nA B,11/16/2026,97110,1\n",
		"Title\nLocation: X\nDate Range: 1/1/2026 - 1/2/2026\n\nPatient;DOS;Visits\n\"a;b\";1/1/26;2\nTotal;;2\n",
		"Patient,DOS\n\"unterminated,11/16/2026\n",
		"Date of Service,Visits\n11/16/2026,x\n",
		"\xff\xfeP\x00a\x00t\x00",
		"%PDF-1.4",
		"PK\x03\x04xl/",
		"Patient,Date of Service,CPT Code,Units\n,,97110,1\n",
		"Insurance Class,New Patients\nA,1\nTotal,1\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "upload.csv"
		rep, err := Read(name, bytes.NewReader(data), Options{MaxRows: 10000, MaxUnzip: 64 << 20})
		if err != nil {
			if rules.ErrorCode(err) == rules.EInternal {
				t.Fatalf("Read failed inside: %v", err)
			}
			msg := rules.ErrorMessage(err)
			if !strings.HasPrefix(msg, name+":") && !strings.HasPrefix(msg, name+", row ") {
				t.Fatalf("error does not name the file: %q", msg)
			}
			return
		}
		if rep.Name != name || !rep.Kind.Valid() {
			t.Fatalf("report %q of kind %q", rep.Name, rep.Kind)
		}
		for _, v := range rep.Visits {
			if v.DOS.IsZero() && rep.Kind != rules.KindInsuranceClassSummary {
				t.Fatalf("a visit without a date of service: %+v", v)
			}
		}
	})
}
