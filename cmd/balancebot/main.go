// Command balancebot balances visits between a therapy practice's EMR and
// its billing system: offline with "balancebot reconcile FILE...", or as a
// Slack bot with "balancebot run".
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/balancebot/balancebot/internal/cli"
)

const usage = `usage: balancebot <command> [arguments]

Commands:
  reconcile FILE...   balance export files offline and print the result
  help                show this help

Run "balancebot reconcile -h" for the reconcile options.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	cmd := ""
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "reconcile":
		return cli.Reconcile(args, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "balancebot: unknown command %q\n\n%s", cmd, usage)
	return 2
}
