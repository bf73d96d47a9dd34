package rules

// Options are a user's choices for one reconciliation.
type Options struct {
	// Period limits dates of service; an unset bound comes from the reports.
	Period Period
	// Location names the location of reports that carry none.
	Location string
	// Locations is the user's location map: which location a name found
	// in an export means.
	Locations LocationMap
	// SkipIncomplete leaves out locations that have reports on one side
	// only, listing them in Result.Waiting, instead of showing all their
	// visits as one-sided. The bot sets it: the other side's export may
	// simply not have been uploaded yet. It also lets a balance with no
	// complete location at all return a Result rather than an error.
	SkipIncomplete bool
}
