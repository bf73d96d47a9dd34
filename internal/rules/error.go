package rules

import (
	"errors"
	"fmt"
	"strings"
)

// Error codes. A user sees the message of an Invalid error; any other error
// is a fault of ours, shown as "internal error" and logged.
const (
	EInvalid  = "invalid"
	ENotFound = "not_found"
	EInternal = "internal"
)

// Error is an error a user can act on: it names what was wrong (the file
// and row, where it applies) and says how to fix it.
type Error struct {
	Code    string
	File    string
	Row     int
	Message string
	// Fix is what the user can tell balancebot to mend the error, if
	// anything; each front end says how to tell it (a flag on the command
	// line, a word in the Slack message), so the message does not.
	Fix Fix
	// Cell is what the file holds where the message says CellMark, written
	// as the message quotes it. After a shifted row a cell may hold a
	// patient's name: the command line, on the user's own files, shows it;
	// Slack never does (SafeMessage).
	Cell string
}

// CellMark marks where an Error's message quotes its Cell.
const CellMark = "\x00cell"

// Fix is something a user can tell balancebot that mends an error.
type Fix string

// The fixes a user can tell.
const (
	FixNone     Fix = ""
	FixKind     Fix = "kind"     // which report kind a file is
	FixLocation Fix = "location" // which location a file is for
	FixPeriod   Fix = "period"   // which dates to balance
)

// ErrorFix returns the Fix of an *Error in err's chain, or FixNone.
func ErrorFix(err error) Fix {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Fix
	}
	return FixNone
}

func (e *Error) Error() string { return e.text(e.Cell) }

// Safe is the error without what the file holds: the file, row and column
// it names, what was expected and how to fix it.
func (e *Error) Safe() string { return e.text("") }

func (e *Error) text(cell string) string {
	msg := strings.ReplaceAll(e.Message, CellMark, cell)
	switch {
	case e.File != "" && e.Row > 0:
		return fmt.Sprintf("%s, row %d: %s", e.File, e.Row, msg)
	case e.File != "":
		return fmt.Sprintf("%s: %s", e.File, msg)
	}
	return msg
}

// Errorf returns an Invalid error about no file in particular.
func Errorf(format string, args ...any) *Error {
	return &Error{Code: EInvalid, Message: fmt.Sprintf(format, args...)}
}

// FileErrorf returns an Invalid error about file.
func FileErrorf(file string, format string, args ...any) *Error {
	return &Error{Code: EInvalid, File: file, Message: fmt.Sprintf(format, args...)}
}

// RowErrorf returns an Invalid error about a row of file.
func RowErrorf(file string, row int, format string, args ...any) *Error {
	return &Error{Code: EInvalid, File: file, Row: row, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err: that of an *Error in its chain, or
// EInternal.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	return EInternal
}

// SafeMessage is ErrorMessage without the cells an error quotes: what a
// Slack reply may say.
func SafeMessage(err error) string {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Safe()
	}
	return ErrorMessage(err)
}

// ErrorMessage returns what a user may be shown for err: the message of an
// *Error in its chain, or "internal error" for anything else.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Error()
	}
	return "internal error"
}
