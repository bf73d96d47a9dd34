// Package engine is the engine that applies the rules of package rules
// fast enough for a large group's month: a report folded per visit key into
// a text arena with hashed keys and flat tables, a binary codec for the
// store, and a reconciliation laid out for the memory. Its results are
// rules.Result values.
package engine
