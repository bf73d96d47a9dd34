// Package rules is balancebot's rulebook: the domain types and the rules of
// ../shared/docs/result.md, in plain Go that reads like that page. It says
// what a visit is, how patients and locations compare, what each report
// kind counts, which period is balanced, and why a visit is on one side
// only.
//
// It knows nothing of files, Slack, SQL or clocks, and nothing of speed: it
// imports only the standard library and golang.org/x/text's Unicode
// normalisation, and uses no unsafe, syscall, runtime, assembly or
// goroutines (an import test holds it to that). The engine applies these
// rules fast; a fuzzed test holds the engine to them.
package rules
