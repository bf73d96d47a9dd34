package rules

import (
	"fmt"
	"time"
)

// Union is the smallest period that holds both p and q; an unset period
// adds nothing.
func (p Period) Union(q Period) Period {
	if p.IsZero() {
		return q
	}
	if q.IsZero() {
		return p
	}
	return Period{From: min(p.From, q.From), To: max(p.To, q.To)}
}

// Sides holds something for each side: [0] the EMR's, [1] billing's.
type Sides[T any] [2]T

// Index is where side s is kept in a Sides.
func (s Side) Index() int {
	if s == SideEMR {
		return 0
	}
	return 1
}

// ResolvePeriod settles the dates a balance covers, as result.md says: the
// user's bounds when given; else, per side, the union of the date ranges
// its visit reports state, then the dates both sides cover (with a warning
// when the sides disagree); else the dates found. stated and found are per
// side. A bound the user gives replaces the one worked out.
func ResolvePeriod(given Period, stated, found Sides[Period]) (Period, *Warning, error) {
	if !given.From.IsZero() && !given.To.IsZero() {
		if given.To < given.From {
			return Period{}, nil, Errorf("The period ends (%s) before it starts (%s).", given.To, given.From)
		}
		return given, nil, nil
	}
	var q Period
	var w *Warning
	switch {
	case !stated[0].IsZero() && !stated[1].IsZero():
		q = Period{From: max(stated[0].From, stated[1].From), To: min(stated[0].To, stated[1].To)}
		if q.To < q.From {
			return Period{}, nil, &Error{Code: EInvalid, Fix: FixPeriod, Message: fmt.Sprintf(
				"The EMR reports cover %s and the billing reports cover %s: they share no dates. Pull both for the same dates, or give the dates to balance.",
				stated[0], stated[1])}
		}
		if stated[0] != stated[1] {
			e, b, shared := stated[0], stated[1], q
			w = &Warning{Code: WarnPeriodsDisagree, EMRPeriod: &e, BillingPeriod: &b, Period: &shared}
		}
	case !stated[0].IsZero():
		q = stated[0]
	case !stated[1].IsZero():
		q = stated[1]
	default:
		q = found[0].Union(found[1])
	}
	if !given.From.IsZero() {
		q.From = given.From
	}
	if !given.To.IsZero() {
		q.To = given.To
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.To < q.From {
		return Period{}, nil, Errorf("The period ends (%s) before it starts (%s).", q.To, q.From)
	}
	return q, w, nil
}

// Weekdays lists the Monday-to-Friday dates of p: clinics balance working
// days, and an export that covers none of a weekend misses nothing.
func Weekdays(p Period) []Date {
	var out []Date
	for d := p.From; d <= p.To; d++ {
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			out = append(out, d)
		}
	}
	return out
}
