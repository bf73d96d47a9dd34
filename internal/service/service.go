// Package service is what every front end does with exports: read them,
// keep them, balance them, and say what is still needed. The command line
// and the Slack adapter only translate: flags or Slack events in, the
// service's typed values out to a renderer. It holds no rule of its own
// (those are in package rules) and talks to the readers and the store
// through the Reader and store interfaces that cmd/ fills in.
package service

import (
	"context"
	"io"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/balancebot/balancebot/internal/engine"
	"github.com/balancebot/balancebot/internal/rules"
)

// Hint is what a user says about a file: its report kind, the location of
// a file that names none, the initial-evaluation codes to count. Unset
// fields leave the reader to tell.
type Hint struct {
	Kind     rules.Kind
	Location string
	IECodes  rules.CodeSet
}

// Reader reads one export called name from r: the export readers, as cmd/
// wires them. Errors the user can fix are *rules.Error values naming the
// file (and row).
type Reader func(name string, r io.Reader, h Hint) (*engine.Report, error)

// Source is one export to read: its name as the user knows it, and how to
// open it.
type Source struct {
	Name string
	Open func() (io.ReadCloser, error)
	Hint Hint
}

// Store is what the service keeps: uploads and each channel's location
// map.
type Store interface {
	UploadStore
	LocationStore
}

// Service reads, keeps and balances exports.
type Service struct {
	read  Reader
	store Store // nil where nothing is kept (the command line)
	// Parallel is how many files are read at once: two by default, the
	// usual pair on two cores, without holding every file of a large
	// share in memory at once.
	Parallel int
}

// New makes a service that reads with read and keeps uploads and location
// maps in store, which may be nil for a front end that keeps nothing.
func New(read Reader, store Store) *Service {
	return &Service{read: read, store: store, Parallel: 2}
}

// Read reads one export.
func (s *Service) Read(name string, r io.Reader, h Hint) (*engine.Report, error) {
	return s.read(name, r, h)
}

// ReadAll reads the sources, Parallel at a time, and returns their
// reports and errors in the order given: a later export of a report
// replaces an earlier one, so the order matters.
func (s *Service) ReadAll(ctx context.Context, srcs []Source) ([]*engine.Report, []error) {
	reports := make([]*engine.Report, len(srcs))
	errs := make([]error, len(srcs))
	var g errgroup.Group
	g.SetLimit(max(1, s.Parallel))
	for i, src := range srcs {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				errs[i] = err
				return nil
			}
			f, err := src.Open()
			if err != nil {
				errs[i] = err
				return nil
			}
			defer f.Close()
			reports[i], errs[i] = s.read(src.Name, f, src.Hint)
			return nil
		})
	}
	g.Wait()
	return reports, errs
}

// Reconcile reads the sources and balances them, as the command line
// does. When any file cannot be used, fileErrs holds every such file's
// error and nothing is balanced; err is the balance's own error.
func (s *Service) Reconcile(ctx context.Context, srcs []Source, opt rules.Options) (res *rules.Result, fileErrs []error, err error) {
	reports, errs := s.ReadAll(ctx, srcs)
	for _, e := range errs {
		if e != nil {
			fileErrs = append(fileErrs, e)
		}
	}
	if len(fileErrs) > 0 {
		return nil, fileErrs, nil
	}
	res, err = engine.Reconcile(reports, opt)
	return res, nil, err
}

// Keep keeps a read export as an upload in its channel. When the channel
// holds the same content already, nothing is kept and same is that
// earlier upload: a file shared twice counts once.
func (s *Service) Keep(ctx context.Context, u *Upload, now time.Time) (same *Upload, err error) {
	if u.At.IsZero() {
		u.At = now
	}
	earlier, dup, err := s.store.SaveUpload(ctx, u)
	if err != nil || !dup {
		return nil, err
	}
	return earlier, nil
}

// Balance is a balance of what a channel holds for some dates.
type Balance struct {
	// Result is the balance of every location both sides cover; its
	// Waiting lists those one side covers. Nil when nothing could be
	// balanced (Err says why, when the reports themselves are the
	// reason).
	Result *rules.Result
	Err    error
	// Coverage is what the channel holds for the dates, location by
	// location.
	Coverage []*rules.Coverage
}

// BalanceNew balances the dates newly kept uploads cover, with everything
// the channel holds for them: each location both sides now cover is
// balanced, and the others wait for their other side.
func (s *Service) BalanceNew(ctx context.Context, channel string, added []*Upload) (*Balance, error) {
	var p rules.Period
	for _, u := range added {
		p = p.Union(u.Period())
	}
	m, err := s.LocationMap(ctx, channel)
	if err != nil {
		return nil, err
	}
	// The files just kept are in memory: not read back from the store.
	ups, err := s.store.Uploads(ctx, channel, p, added...)
	if err != nil {
		return nil, err
	}
	return s.balance(ups, m, p, rules.Period{}), nil
}

// BalancePeriod balances a period from what the channel holds, as
// /balance week and day do: the dates within p that both sides cover at
// some location. With nothing stored for p, the Balance has no coverage;
// with nothing both sides cover, no result.
func (s *Service) BalancePeriod(ctx context.Context, channel string, p rules.Period) (*Balance, error) {
	m, err := s.LocationMap(ctx, channel)
	if err != nil {
		return nil, err
	}
	ups, err := s.store.Uploads(ctx, channel, p)
	if err != nil {
		return nil, err
	}
	covs := Covering(ups, m, p)
	span := rules.Both(covs, p)
	if span.IsZero() {
		return &Balance{Coverage: covs}, nil
	}
	return s.balance(ups, m, p, span), nil
}

// Standing says what the channel holds for p, location by location.
func (s *Service) Standing(ctx context.Context, channel string, p rules.Period) ([]*rules.Coverage, error) {
	m, err := s.LocationMap(ctx, channel)
	if err != nil {
		return nil, err
	}
	ups, err := s.store.Uploads(ctx, channel, p)
	if err != nil {
		return nil, err
	}
	return Covering(ups, m, p), nil
}

// balance balances ups over period (unset: the period they state), with
// locations that lack a side left waiting.
func (s *Service) balance(ups []*Upload, m rules.LocationMap, covered, period rules.Period) *Balance {
	reports := make([]*engine.Report, len(ups))
	for i, u := range ups {
		reports[i] = u.Report
	}
	b := &Balance{Coverage: Covering(ups, m, covered)}
	b.Result, b.Err = engine.Reconcile(reports, rules.Options{SkipIncomplete: true, Period: period, Locations: m})
	return b
}

// LocationMap is channel's location map, as the balance takes it.
func (s *Service) LocationMap(ctx context.Context, channel string) (rules.LocationMap, error) {
	entries, err := s.store.Locations(ctx, channel)
	if err != nil || len(entries) == 0 {
		return nil, err
	}
	m := rules.LocationMap{}
	for _, e := range entries {
		m.Map(e.Name, e.Location)
	}
	return m, nil
}

// Locations lists channel's location map.
func (s *Service) Locations(ctx context.Context, channel string) ([]LocationEntry, error) {
	return s.store.Locations(ctx, channel)
}

// MapLocation records that a name found in channel's exports means a
// location; the next balance uses it.
func (s *Service) MapLocation(ctx context.Context, channel string, e LocationEntry) error {
	return s.store.SetLocation(ctx, channel, e)
}

// UnmapLocation takes a name out of channel's map; ok is false when the
// map did not have it.
func (s *Service) UnmapLocation(ctx context.Context, channel, name string) (bool, error) {
	return s.store.RemoveLocation(ctx, channel, name)
}

// Covering says what the uploads hold for p, location by location
// (rules.Covering), their locations taken through the map m.
func Covering(ups []*Upload, m rules.LocationMap, p rules.Period) []*rules.Coverage {
	held := make([]rules.Held, len(ups))
	for i, u := range ups {
		held[i] = rules.Held{Kind: u.Report.Kind, Locations: u.Report.Locations(), Period: u.Period()}
	}
	return rules.Covering(held, p, m)
}
