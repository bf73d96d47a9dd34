// Package golden compares what a test renders with a file under
// testdata/golden, for tests only: `go test ./PKG -update` rewrites the
// files, and the diff is reviewed like any change.
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden/")

// Check compares got with testdata/golden/name, or rewrites that file when
// the test runs with -update.
func Check(t testing.TB, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -run %s -update writes it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s changed; if the change is meant, rerun the test with -update and review the diff.\ngot:\n%s", path, got)
	}
}
