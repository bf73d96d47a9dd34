// Package ops serves what operators and orchestrators look at: /healthz
// (the process answers), /readyz (connected to Slack, store open) and
// Prometheus metrics at /metrics.
package ops

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics counts what the bot does. Its methods are those the Slack
// adapter asks for; no label ever carries patient data (kinds, call names
// and verdicts only).
type Metrics struct {
	shares     prometheus.Counter
	files      prometheus.Counter
	filesRead  *prometheus.CounterVec
	refused    prometheus.Counter
	balances   *prometheus.CounterVec
	slackErrs  *prometheus.CounterVec
	reconnects prometheus.Counter
	processing *prometheus.HistogramVec
}

// NewMetrics registers the metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := func(c prometheus.Collector) { reg.MustRegister(c) }
	m := &Metrics{
		shares:     prometheus.NewCounter(prometheus.CounterOpts{Name: "balancebot_uploads_total", Help: "Messages that shared files with the bot."}),
		files:      prometheus.NewCounter(prometheus.CounterOpts{Name: "balancebot_upload_files_total", Help: "Files shared with the bot."}),
		filesRead:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "balancebot_files_read_total", Help: "Files read, by report kind."}, []string{"kind"}),
		refused:    prometheus.NewCounter(prometheus.CounterOpts{Name: "balancebot_files_refused_total", Help: "Files that could not be used."}),
		balances:   prometheus.NewCounterVec(prometheus.CounterOpts{Name: "balancebot_balances_total", Help: "Balances posted, by verdict."}, []string{"balanced"}),
		slackErrs:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "balancebot_slack_errors_total", Help: "Slack calls that failed, retried or not, by call."}, []string{"call"}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{Name: "balancebot_reconnects_total", Help: "Socket Mode reconnections."}),
		processing: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "balancebot_processing_seconds",
			Help:    "Time from an upload to its answer.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120}}, []string{"result"}),
	}
	f(m.shares)
	f(m.files)
	f(m.filesRead)
	f(m.refused)
	f(m.balances)
	f(m.slackErrs)
	f(m.reconnects)
	f(m.processing)
	return m
}

// Upload counts a message that shared files.
func (m *Metrics) Upload(files int) { m.shares.Inc(); m.files.Add(float64(files)) }

// FileRead counts a file read, by kind.
func (m *Metrics) FileRead(kind string) { m.filesRead.WithLabelValues(kind).Inc() }

// FileRefused counts a file that could not be used.
func (m *Metrics) FileRefused() { m.refused.Inc() }

// Balance counts a balance posted.
func (m *Metrics) Balance(balanced bool) { m.balances.WithLabelValues(fmt.Sprint(balanced)).Inc() }

// Processed observes how long an upload took to answer.
func (m *Metrics) Processed(took time.Duration, err error) {
	result := "answered"
	if err != nil {
		result = "pending"
	}
	m.processing.WithLabelValues(result).Observe(took.Seconds())
}

// Reconnect counts a Socket Mode reconnection.
func (m *Metrics) Reconnect() { m.reconnects.Inc() }

// SlackError counts a failed Slack call.
func (m *Metrics) SlackError(call string) { m.slackErrs.WithLabelValues(call).Inc() }

// Server serves health and metrics.
type Server struct {
	// Ready says why the bot cannot work yet, or nil when it can.
	Ready   func(context.Context) error
	Metrics *Metrics
	reg     *prometheus.Registry
	srv     *http.Server
	ln      net.Listener
}

// NewServer makes a server with its own metrics registry (Go runtime and
// process metrics included).
func NewServer(ready func(context.Context) error) *Server {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s := &Server{Ready: ready, Metrics: NewMetrics(reg), reg: reg}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.Ready(ctx); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ready\n"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	return s
}

// Listen binds addr (":0" picks a free port).
func (s *Server) Listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("cannot serve health checks on BALANCEBOT_HEALTH_ADDR %s: %w", addr, err)
	}
	s.ln = ln
	return nil
}

// Addr is the address being served.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Serve serves until ctx ends.
func (s *Server) Serve(ctx context.Context) error {
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.srv.Shutdown(sctx)
	}()
	if err := s.srv.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Check asks a health endpoint, for the container's health check.
func Check(url string) error {
	c := &http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", url, resp.Status)
	}
	return nil
}

// OpenItemAges are the age bands of balancebot_open_items, in days since
// an item was first seen: what a billing lead asks ("anything over a
// month?").
var OpenItemAges = []struct {
	Label    string
	Min, Max int
}{{"0-7d", 0, 7}, {"8-14d", 8, 14}, {"15-30d", 15, 30}, {"31d+", 31, 1 << 30}}

// openItems is balancebot_open_items, read from the store at each scrape,
// so it is right after a restart and across replicas.
type openItems struct {
	desc  *prometheus.Desc
	ages  func(context.Context) ([]int, error)
	fails prometheus.Counter
}

func (o *openItems) Describe(ch chan<- *prometheus.Desc) { ch <- o.desc }

func (o *openItems) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	ages, err := o.ages(ctx)
	if err != nil {
		o.fails.Inc()
		return
	}
	counts := make([]int, len(OpenItemAges))
	for _, a := range ages {
		for i, band := range OpenItemAges {
			if a >= band.Min && a <= band.Max {
				counts[i]++
			}
		}
	}
	for i, band := range OpenItemAges {
		ch <- prometheus.MustNewConstMetric(o.desc, prometheus.GaugeValue, float64(counts[i]), band.Label)
	}
}

// OpenItems adds balancebot_open_items{age}: the items still open (fixed
// but unconfirmed included), by age band. ages returns each open item's
// age in days.
func (s *Server) OpenItems(ages func(context.Context) ([]int, error)) {
	fails := prometheus.NewCounter(prometheus.CounterOpts{Name: "balancebot_open_items_errors_total", Help: "Scrapes that could not read the open items."})
	s.reg.MustRegister(fails, &openItems{
		desc:  prometheus.NewDesc("balancebot_open_items", "Open items (differences still needing action), by days since first seen.", []string{"age"}, nil),
		ages:  ages,
		fails: fails,
	})
}
