// Package pgtest starts a throwaway PostgreSQL for tests: a cluster in a
// temp dir (initdb, then pg_ctl listening on a unix socket only), a fresh
// database for each test, and everything stopped and removed when the
// package's tests end. A package using it calls Main from its TestMain.
//
// When PostgreSQL is not installed the tests that need it are skipped with
// a message saying how to install it, unless BALANCEBOT_REQUIRE_POSTGRES is
// set (CI sets it), which makes that a failure.
package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

var (
	mu      sync.Mutex
	cluster *server
	failed  error
	dbs     int
)

type server struct {
	dir  string // the temp dir: data, socket and log
	bin  string // where initdb and pg_ctl are
	cred *syscall.Credential
	url  string // the postgres database, for creating others
}

// Main runs a package's tests, then stops and removes the cluster if one
// was started.
func Main(m *testing.M) int {
	code := m.Run()
	mu.Lock()
	defer mu.Unlock()
	if cluster != nil {
		cluster.stop()
	}
	return code
}

// URL returns the URL of a new, empty database in the package's cluster,
// starting the cluster on first use.
func URL(tb testing.TB) string {
	tb.Helper()
	mu.Lock()
	defer mu.Unlock()
	if cluster == nil && failed == nil {
		cluster, failed = start()
	}
	if failed != nil {
		var missing errNotInstalled
		if errors.As(failed, &missing) && os.Getenv("BALANCEBOT_REQUIRE_POSTGRES") == "" {
			tb.Skipf("PostgreSQL is not installed, so this test cannot run (apt-get install postgresql): %v", failed)
		}
		tb.Fatalf("cannot start a PostgreSQL for the tests: %v", failed)
	}
	dbs++
	name := fmt.Sprintf("t%d", dbs)
	admin, err := sql.Open("pgx", cluster.url)
	if err != nil {
		tb.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		tb.Fatalf("creating a test database: %v", err)
	}
	return fmt.Sprintf("postgres://postgres@/%s?host=%s&sslmode=disable", name, cluster.dir)
}

// Exec runs a statement as the cluster's superuser, in its postgres
// database: for a test to act as an administrator would.
func Exec(tb testing.TB, stmt string) {
	tb.Helper()
	mu.Lock()
	c := cluster
	mu.Unlock()
	if c == nil {
		tb.Fatal("pgtest.Exec before pgtest.URL")
	}
	admin, err := sql.Open("pgx", c.url)
	if err != nil {
		tb.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec(stmt); err != nil {
		tb.Fatalf("%s: %v", stmt, err)
	}
}

// Database returns the name of the database a URL from URL names.
func Database(url string) string {
	rest := url[strings.Index(url, "@/")+2:]
	return rest[:strings.IndexByte(rest, '?')]
}

type errNotInstalled struct{ err error }

func (e errNotInstalled) Error() string { return e.err.Error() }

// binDir finds PostgreSQL's server programs: on the PATH, or where
// Debian's postgresql package puts them.
func binDir() (string, error) {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if _, err := exec.LookPath("initdb"); err == nil {
			return filepath.Dir(p), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", errNotInstalled{errors.New("no initdb and pg_ctl on the PATH or in /usr/lib/postgresql/*/bin")}
}

func version(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

func start() (*server, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pgtest")
	if err != nil {
		return nil, err
	}
	s := &server{dir: dir, bin: bin}
	// PostgreSQL will not run as root: as root, run it as postgres.
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("running as root, and there is no postgres user to run PostgreSQL as: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := s.run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	opts := fmt.Sprintf("-c listen_addresses='' -k %s -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200", dir)
	if out, err := s.run("pg_ctl", "-D", data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "-t", "60", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		os.RemoveAll(dir)
		return nil, fmt.Errorf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
	s.url = fmt.Sprintf("postgres://postgres@/postgres?host=%s&sslmode=disable", dir)
	db, err := sql.Open("pgx", s.url)
	if err == nil {
		err = db.PingContext(context.Background())
		db.Close()
	}
	if err != nil {
		s.stop()
		return nil, fmt.Errorf("the test PostgreSQL does not answer: %w", err)
	}
	return s, nil
}

func (s *server) run(prog string, args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(s.bin, prog), args...)
	cmd.Dir = s.dir
	if s.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	}
	return cmd.CombinedOutput()
}

func (s *server) stop() {
	s.run("pg_ctl", "-D", filepath.Join(s.dir, "data"), "-m", "immediate", "-w", "stop")
	os.RemoveAll(s.dir)
}
