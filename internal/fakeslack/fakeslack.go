// Package fakeslack is a loopback Slack for tests: enough of the Web API
// and of Socket Mode for the real slack-go client, inside the real bot, to
// connect, receive events and slash commands, download files, post, update,
// react and upload, while the fake records everything it was sent.
//
// It behaves as Slack does where tests depend on it: Socket Mode sends
// hello and pings, takes acks, redelivers unacknowledged envelopes with a
// retry_attempt after a reconnect, and can ask the client to reconnect with
// a disconnect message; downloads are served on the API host; 429s carry
// Retry-After.
package fakeslack

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Options configure the fake.
type Options struct {
	BotToken  string // default "xoxb-test"
	AppToken  string // default "xapp-test"
	BotUserID string // default "UBOT"
	// PingInterval is how often the socket pings the client; the client
	// reconnects if pings stop for longer than its watchdog.
	PingInterval time.Duration // default 100ms
	// EchoBotUploads sends a file_share event back when the bot uploads a
	// file into a channel, as Slack does.
	EchoBotUploads bool
	// Limits, when set, are the rate limits the fake enforces
	// (SlackLimits for Slack's own). Block Kit's limits are always
	// enforced.
	Limits *Limits
	// Connections lets several clients hold a connection at once, as
	// Slack allows an app up to 10: envelopes are spread across them in
	// turn, and a redelivery goes to another connection than the first
	// delivery's. Without it, a new connection replaces the old one.
	Connections bool
}

// Message is a chat.postMessage, chat.update or chat.postEphemeral call.
type Message struct {
	Method   string
	Channel  string
	TS       string // the message's ts (the updated one, for chat.update)
	ThreadTS string
	User     string // chat.postEphemeral's recipient
	Text     string
	Blocks   json.RawMessage
	Metadata json.RawMessage
	At       time.Time
}

// Reaction is a reactions.add call.
type Reaction struct{ Channel, TS, Name string }

// Upload is a file the bot uploaded and shared with the three-step upload.
type Upload struct {
	ID, Channel, ThreadTS, Title, Filename string
	Content                                []byte
	// At is when it was shared.
	At time.Time
}

// Response is what the bot sent to a slash command's response_url.
type Response struct {
	Text         string `json:"text"`
	ResponseType string `json:"response_type"`
}

// Ack is an acknowledgement the client sent for an envelope.
type Ack struct {
	EnvelopeID string
	Payload    json.RawMessage
	At         time.Time
}

// File is a file a user shared, as events and files.info describe it.
type File struct {
	ID                 string `json:"id"`
	Name               string `json:"name"`
	Title              string `json:"title"`
	Filetype           string `json:"filetype"`
	Mimetype           string `json:"mimetype"`
	Size               int    `json:"size"`
	URLPrivate         string `json:"url_private"`
	URLPrivateDownload string `json:"url_private_download"`
	FileAccess         string `json:"file_access,omitempty"`
}

type envelope struct {
	EnvelopeID             string          `json:"envelope_id"`
	Type                   string          `json:"type"`
	Payload                json.RawMessage `json:"payload"`
	AcceptsResponsePayload bool            `json:"accepts_response_payload"`
	RetryAttempt           int             `json:"retry_attempt"`
	RetryReason            string          `json:"retry_reason"`
	delivered              bool
	conn                   *wsConn // the connection it was last sent on
}

type failure struct {
	status     int
	retryAfter int
	n          int
	delay      time.Duration
}

// Server is the fake.
type Server struct {
	// URL is the Web API base to give slack.OptionAPIURL, with its
	// trailing slash.
	URL  string
	opts Options
	srv  *httptest.Server

	mu   sync.Mutex
	conn *wsConn
	// conns are the open connections, with Options.Connections; next is
	// the one the next envelope goes to.
	conns   []*wsConn
	next    int
	opens   int
	seq     int
	tsSeq   int64
	files   map[string]File
	content map[string][]byte
	pending []*envelope // sent, not yet acked, in order
	sent    map[string]*envelope
	acks    []Ack
	// deliveries counts the envelopes written to the client (retries and
	// redeliveries included) since the current connection opened, plus
	// the acks before it; echoing the bot's uploads being echoed back.
	deliveries int
	echoing    int
	// lose counts down, per method, to a call whose answer is lost.
	lose      map[string]int
	messages  []Message
	reactions []Reaction
	views     []View
	published []Published
	uploads   []Upload
	responses []Response
	staged    map[string]Upload // upload URL given, not yet completed
	failures  map[string]*failure
	calls     map[string]int
	left      map[string]bool // channels the bot is not a member of
	groups    map[string][]string
	// violations are the messages refused for breaking Block Kit's or
	// metadata's limits.
	violations []string
	limiter    limiter
}

// New starts a fake Slack on a loopback port.
func New(opts Options) *Server {
	if opts.BotToken == "" {
		opts.BotToken = "xoxb-test"
	}
	if opts.AppToken == "" {
		opts.AppToken = "xapp-test"
	}
	if opts.BotUserID == "" {
		opts.BotUserID = "UBOT"
	}
	if opts.PingInterval == 0 {
		opts.PingInterval = 100 * time.Millisecond
	}
	s := &Server{
		opts: opts, files: map[string]File{}, content: map[string][]byte{},
		staged: map[string]Upload{}, failures: map[string]*failure{}, calls: map[string]int{}, sent: map[string]*envelope{}, left: map[string]bool{},
		tsSeq:   1764000000 * 1000000,
		limiter: limiter{buckets: map[string]*bucket{}, refused: map[string]int{}},
	}
	if opts.Limits != nil {
		s.limiter.limits = *opts.Limits
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.api)
	mux.HandleFunc("/ws", s.websocket)
	mux.HandleFunc("/files/", s.download)
	mux.HandleFunc("/upload/", s.upload)
	mux.HandleFunc("/response", s.response)
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL + "/api/"
	return s
}

// Close stops the fake.
func (s *Server) Close() {
	s.mu.Lock()
	if s.conn != nil {
		s.conn.close()
	}
	s.mu.Unlock()
	s.srv.CloseClientConnections()
	s.srv.Close()
}

func (s *Server) nextTS() string {
	s.tsSeq += 100
	return fmt.Sprintf("%d.%06d", s.tsSeq/1000000, s.tsSeq%1000000)
}

// TS returns a fresh message timestamp, for events the test sends.
func (s *Server) TS() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nextTS()
}

// AddFile makes a file a user can share; its download is served on the
// API host.
func (s *Server) AddFile(name string, content []byte) File {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	id := fmt.Sprintf("F%04d", s.seq)
	ft := "csv"
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		ft = strings.ToLower(name[i+1:])
	}
	f := File{
		ID: id, Name: name, Title: name, Filetype: ft, Mimetype: "application/octet-stream", Size: len(content),
		URLPrivate:         s.srv.URL + "/files/" + id + "/" + name,
		URLPrivateDownload: s.srv.URL + "/files/" + id + "/download/" + name,
	}
	s.files[id] = f
	s.content[id] = content
	return f
}

// FailNext makes the next n calls of method (a Web API method such as
// "chat.postMessage", or "download" for file downloads) answer with
// status; a 429 carries Retry-After: retryAfter seconds.
func (s *Server) FailNext(method string, n, status, retryAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[method] = &failure{status: status, retryAfter: retryAfter, n: n}
}

// DelayNext makes the next n calls of method wait d before answering.
func (s *Server) DelayNext(method string, n int, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[method] = &failure{n: n, delay: d}
}

// fail applies an injected failure to a call of method, reporting whether
// the call was answered.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, method string) bool {
	s.mu.Lock()
	s.calls[method]++
	f := s.failures[method]
	if f == nil || f.n <= 0 {
		s.mu.Unlock()
		return false
	}
	f.n--
	fc := *f
	s.mu.Unlock()
	if fc.delay > 0 {
		select {
		case <-time.After(fc.delay):
			return false
		case <-r.Context().Done():
			return true // the client gave up waiting: nothing to answer
		}
	}
	if fc.status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", strconv.Itoa(fc.retryAfter))
	}
	http.Error(w, http.StatusText(fc.status), fc.status)
	return true
}

// Leave removes the bot from channel: posting there fails with
// not_in_channel, as in Slack.
func (s *Server) Leave(channel string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.left[channel] = true
}

// Methods returns every method called so far ("download" and
// "response_url" included), with how many times.
func (s *Server) Methods() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.calls))
	for k, v := range s.calls {
		out[k] = v
	}
	return out
}

// Calls returns how many times method was called, failures included.
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// --- what the bot sent -------------------------------------------------

// Messages returns every message call so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Reactions returns every reaction added so far.
func (s *Server) Reactions() []Reaction {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Reaction(nil), s.reactions...)
}

// Uploads returns every file the bot shared so far.
func (s *Server) Uploads() []Upload {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Upload(nil), s.uploads...)
}

// Responses returns everything posted to response_url so far.
func (s *Server) Responses() []Response {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Response(nil), s.responses...)
}

// Acks returns every acknowledgement so far.
func (s *Server) Acks() []Ack {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Ack(nil), s.acks...)
}

// Acked returns the ack of an envelope, if there is one.
func (s *Server) Acked(envelopeID string) (Ack, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.acks {
		if a.EnvelopeID == envelopeID {
			return a, true
		}
	}
	return Ack{}, false
}

// LoseAnswer makes the nth call of method from now succeed, and then lose
// its answer: the connection is closed before the reply, as a reset or a
// crash after sending leaves it. Slack has done the work; the client
// cannot know.
func (s *Server) LoseAnswer(method string, nth int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lose == nil {
		s.lose = map[string]int{}
	}
	s.lose[method] = nth
}

// loseNow counts a call of method down and reports whether its answer is
// the one to lose.
func (s *Server) loseNow(method string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lose[method] <= 0 {
		return false
	}
	s.lose[method]--
	return s.lose[method] == 0
}

// hangUp closes a call's connection without an answer.
func hangUp(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
		}
	}
}

// SendRaw writes a frame to the client as it is, as Slack might send one
// the client cannot parse.
func (s *Server) SendRaw(frame string) {
	s.mu.Lock()
	c := s.conn
	s.deliveries++
	s.mu.Unlock()
	if c != nil {
		c.mu.Lock()
		c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
		c.ws.WriteMessage(websocket.TextMessage, []byte(frame))
		c.mu.Unlock()
	}
}

// Settled reports whether everything sent to the client has been acked:
// with the bot's work idle too, nothing more will happen until the test
// sends something, so a test can assert that something did not happen.
func (s *Server) Settled() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conn != nil && len(s.pending) == 0 && s.echoing == 0 && len(s.acks) >= s.deliveries
}

// Connections returns how many times the client opened a connection.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opens
}

// Connected reports whether a client socket is open.
func (s *Server) Connected() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conn != nil
}

// WaitFor polls cond until it holds or timeout passes, and reports which.
func (s *Server) WaitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// --- what the test sends ----------------------------------------------

// MessageEvent is the inner event of a message a user posts.
type MessageEvent struct {
	Type     string `json:"type"`
	Subtype  string `json:"subtype,omitempty"`
	Channel  string `json:"channel"`
	User     string `json:"user,omitempty"`
	BotID    string `json:"bot_id,omitempty"`
	Text     string `json:"text"`
	TS       string `json:"ts"`
	ThreadTS string `json:"thread_ts,omitempty"`
	Files    []File `json:"files,omitempty"`
}

// ShareFiles sends the file_share message event of a user sharing files in
// channel with text, and returns the envelope id and the message ts.
func (s *Server) ShareFiles(channel, user, text string, files ...File) (envelopeID, ts string) {
	ts = s.TS()
	return s.SendEvent(MessageEvent{Type: "message", Subtype: "file_share", Channel: channel, User: user, Text: text, TS: ts, Files: files}), ts
}

// SendEvent wraps an inner event in an events_api envelope and sends it.
func (s *Server) SendEvent(inner any) (envelopeID string) {
	raw, _ := json.Marshal(inner)
	s.mu.Lock()
	s.seq++
	evID := fmt.Sprintf("Ev%04d", s.seq)
	s.mu.Unlock()
	payload, _ := json.Marshal(map[string]any{
		"token": "verification", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
		"event_id": evID, "event_time": time.Now().Unix(), "event": json.RawMessage(raw),
	})
	return s.send("events_api", payload, false)
}

// View is a views.open call: the trigger and the view as sent.
type View struct {
	TriggerID string
	View      json.RawMessage
}

// SetUsergroup makes a user group with these members.
func (s *Server) SetUsergroup(id string, members ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.groups == nil {
		s.groups = map[string][]string{}
	}
	s.groups[id] = members
}

// Published is a views.publish call: an App Home for a user.
type Published struct {
	User string
	View json.RawMessage
}

// PublishedViews returns the App Homes published, in order.
func (s *Server) PublishedViews() []Published {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.published)
}

// OpenHome sends app_home_opened for user's Home tab.
func (s *Server) OpenHome(user string) string {
	return s.SendEvent(map[string]any{"type": "app_home_opened", "user": user, "channel": "D" + user, "tab": "home", "event_ts": s.TS()})
}

// Views returns the views opened, in order.
func (s *Server) Views() []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.views)
}

// Interact sends an interactive envelope (a block action, a view
// submission) with payload, which is marshalled as Slack's interaction
// payload, and returns the envelope id; its ack may carry a response.
func (s *Server) Interact(payload any) (envelopeID string) {
	raw, _ := json.Marshal(payload)
	return s.send("interactive", raw, true)
}

// SlashCommand sends /command text from user in channel and returns the
// envelope id.
func (s *Server) SlashCommand(command, text, channel, user string) (envelopeID string) {
	payload, _ := json.Marshal(map[string]string{
		"token": "verification", "team_id": "T1", "team_domain": "fake", "channel_id": channel,
		"channel_name": "billing", "user_id": user, "user_name": "user", "command": command, "text": text,
		"response_url": s.srv.URL + "/response", "trigger_id": "trigger", "api_app_id": "A1",
	})
	return s.send("slash_commands", payload, true)
}

func (s *Server) send(typ string, payload json.RawMessage, acceptsResponse bool) string {
	s.mu.Lock()
	s.seq++
	env := &envelope{EnvelopeID: fmt.Sprintf("env-%04d", s.seq), Type: typ, Payload: payload, AcceptsResponsePayload: acceptsResponse}
	s.pending = append(s.pending, env)
	s.sent[env.EnvelopeID] = env
	c := s.pick(nil)
	env.conn = c
	if c != nil {
		env.delivered = true
		s.deliveries++
	}
	s.mu.Unlock()
	if c != nil {
		c.writeJSON(env)
	}
	return env.EnvelopeID
}

// Redeliver sends an envelope again, as Slack does when it was not acked
// in time: same envelope and event ids, retry_attempt raised.
func (s *Server) Redeliver(envelopeID, reason string) {
	// Slack also redelivers envelopes whose ack came too late, so an
	// acked envelope may come again as well.
	s.mu.Lock()
	env := s.sent[envelopeID]
	var c *wsConn
	if env != nil {
		c = s.pick(env.conn)
		env.conn = c
	}
	s.mu.Unlock()
	if env == nil || c == nil {
		return
	}
	again := *env
	again.RetryAttempt++
	again.RetryReason = reason
	env.RetryAttempt = again.RetryAttempt
	s.mu.Lock()
	s.deliveries++
	s.mu.Unlock()
	c.writeJSON(&again)
}

// pick returns the connection for an envelope: the only one, or, with
// several, the next in turn that is not avoid. s.mu is held.
func (s *Server) pick(avoid *wsConn) *wsConn {
	if !s.opts.Connections {
		return s.conn
	}
	for range len(s.conns) {
		c := s.conns[s.next%len(s.conns)]
		s.next++
		if c != avoid || len(s.conns) == 1 {
			return c
		}
	}
	return nil
}

// OpenConnections returns how many connections are open.
func (s *Server) OpenConnections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.opts.Connections {
		if s.conn != nil {
			return 1
		}
		return 0
	}
	return len(s.conns)
}

// Disconnect asks the client to reconnect, as Slack does every few hours.
func (s *Server) Disconnect() {
	s.mu.Lock()
	c := s.conn
	s.mu.Unlock()
	if c != nil {
		c.writeJSON(map[string]any{"type": "disconnect", "reason": "refresh_requested", "debug_info": map[string]string{"host": "fake"}})
	}
}

// DropConnection closes the socket without warning, as a network fault.
func (s *Server) DropConnection() {
	s.mu.Lock()
	c := s.conn
	s.conn = nil
	s.mu.Unlock()
	if c != nil {
		c.close()
	}
}

// --- Socket Mode --------------------------------------------------------

type wsConn struct {
	mu   sync.Mutex
	ws   *websocket.Conn
	done chan struct{}
	once sync.Once
}

func (c *wsConn) writeJSON(v any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	c.ws.WriteJSON(v)
}

func (c *wsConn) close() {
	c.once.Do(func() {
		close(c.done)
		c.ws.Close()
	})
}

var upgrader = websocket.Upgrader{
	// slack-go dials with Origin: https://api.slack.com.
	CheckOrigin: func(*http.Request) bool { return true },
}

func (s *Server) websocket(w http.ResponseWriter, r *http.Request) {
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &wsConn{ws: ws, done: make(chan struct{})}
	if s.opts.Connections {
		s.serveOne(c)
		return
	}
	s.mu.Lock()
	old := s.conn
	s.conn = c
	// Envelopes not acked on an earlier connection come again, as retries.
	var redo []envelope
	for _, e := range s.pending {
		if e.delivered {
			e.RetryAttempt++
			e.RetryReason = "timeout"
		}
		e.delivered = true
		redo = append(redo, *e)
	}
	// What the old connection did not ack comes again on this one.
	s.deliveries = len(s.acks) + len(redo)
	s.mu.Unlock()
	if old != nil {
		old.close()
	}
	c.writeJSON(map[string]any{"type": "hello", "num_connections": 1,
		"connection_info": map[string]string{"app_id": "A1"}, "debug_info": map[string]any{"host": "fake"}})
	for i := range redo {
		c.writeJSON(&redo[i])
	}
	go s.ping(c)
	defer func() {
		c.close()
		s.mu.Lock()
		if s.conn == c {
			s.conn = nil
		}
		s.mu.Unlock()
	}()
	s.readAcks(c)
}

// serveOne serves one of several connections: envelopes go to it in turn
// with the others, and what was sent on it and not acked when it closes
// goes to another, as a retry.
func (s *Server) serveOne(c *wsConn) {
	s.mu.Lock()
	s.conns = append(s.conns, c)
	s.conn = c
	n := len(s.conns)
	s.mu.Unlock()
	c.writeJSON(map[string]any{"type": "hello", "num_connections": n,
		"connection_info": map[string]string{"app_id": "A1"}, "debug_info": map[string]any{"host": "fake"}})
	go s.ping(c)
	defer func() {
		c.close()
		s.mu.Lock()
		for i, o := range s.conns {
			if o == c {
				s.conns = append(s.conns[:i], s.conns[i+1:]...)
				break
			}
		}
		if s.conn == c {
			s.conn = nil
			if len(s.conns) > 0 {
				s.conn = s.conns[0]
			}
		}
		var redo []*envelope
		for _, e := range s.pending {
			if e.conn == c {
				redo = append(redo, e)
			}
		}
		s.mu.Unlock()
		for _, e := range redo {
			s.Redeliver(e.EnvelopeID, "timeout")
		}
	}()
	s.readAcks(c)
}

func (s *Server) ping(c *wsConn) {
	t := time.NewTicker(s.opts.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
			c.mu.Lock()
			err := c.ws.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(time.Second))
			c.mu.Unlock()
			if err != nil {
				c.close()
				return
			}
		}
	}
}

// readAcks records the acks a connection sends until it closes.
func (s *Server) readAcks(c *wsConn) {
	for {
		var ack struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if err := c.ws.ReadJSON(&ack); err != nil {
			return
		}
		if ack.EnvelopeID == "" {
			continue
		}
		s.mu.Lock()
		s.acks = append(s.acks, Ack{EnvelopeID: ack.EnvelopeID, Payload: ack.Payload, At: time.Now()})
		for i, e := range s.pending {
			if e.EnvelopeID == ack.EnvelopeID {
				s.pending = append(s.pending[:i], s.pending[i+1:]...)
				break
			}
		}
		s.mu.Unlock()
	}
}

// --- Web API -------------------------------------------------------------

func (s *Server) reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func (s *Server) api(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	if method == "apps.connections.open" {
		if r.Header.Get("Authorization") != "Bearer "+s.opts.AppToken {
			s.reply(w, map[string]any{"ok": false, "error": "invalid_auth"})
			return
		}
		if s.fail(w, r, method) {
			return
		}
		s.mu.Lock()
		s.opens++
		s.mu.Unlock()
		s.reply(w, map[string]any{"ok": true, "url": "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/ws"})
		return
	}
	// Some methods (views.open) post JSON; their fields are read as form
	// values all the same, objects as their JSON.
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var body map[string]json.RawMessage
		json.NewDecoder(r.Body).Decode(&body)
		r.Form = url.Values{}
		for k, v := range body {
			var str string
			if json.Unmarshal(v, &str) == nil {
				r.Form.Set(k, str)
			} else {
				r.Form.Set(k, string(v))
			}
		}
	} else if err := r.ParseMultipartForm(32 << 20); err != nil && err != http.ErrNotMultipart {
		r.ParseForm()
	}
	token := r.FormValue("token")
	if token == "" {
		token = strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	if token != s.opts.BotToken {
		s.reply(w, map[string]any{"ok": false, "error": "invalid_auth"})
		return
	}
	if s.fail(w, r, method) {
		return
	}
	f := r.FormValue
	s.mu.Lock()
	left := s.left[f("channel")]
	s.mu.Unlock()
	if left && (strings.HasPrefix(method, "chat.") && method != "chat.getPermalink" || method == "reactions.add") {
		s.reply(w, map[string]any{"ok": false, "error": "not_in_channel"})
		return
	}
	channel := f("channel")
	if method == "files.completeUploadExternal" {
		channel = f("channel_id")
	}
	if ok, wait := s.limiter.allow(method, channel, time.Now()); !ok {
		w.Header().Set("Retry-After", retryAfter(wait))
		http.Error(w, "ratelimited", http.StatusTooManyRequests)
		return
	}
	if method == "chat.postMessage" || method == "chat.update" || method == "chat.postEphemeral" {
		if code, why := checkMessage(f("text"), f("blocks"), f("metadata")); code != "" {
			s.mu.Lock()
			s.violations = append(s.violations, method+": "+code+": "+why)
			s.mu.Unlock()
			s.reply(w, map[string]any{"ok": false, "error": code})
			return
		}
	}
	switch method {
	case "auth.test":
		s.reply(w, map[string]any{"ok": true, "url": "https://fake.slack.com/", "team": "Fake", "user": "balancebot",
			"team_id": "T1", "user_id": s.opts.BotUserID, "bot_id": "B" + s.opts.BotUserID})
	case "chat.postMessage", "chat.update", "chat.postEphemeral":
		s.mu.Lock()
		m := Message{Method: method, Channel: f("channel"), ThreadTS: f("thread_ts"), User: f("user"), Text: f("text"),
			Blocks: raw(f("blocks")), Metadata: raw(f("metadata")), At: time.Now()}
		switch method {
		case "chat.update":
			m.TS = f("ts")
		default:
			m.TS = s.nextTS()
		}
		s.messages = append(s.messages, m)
		s.mu.Unlock()
		if s.loseNow(method) {
			hangUp(w)
			return
		}
		if method == "chat.postEphemeral" {
			s.reply(w, map[string]any{"ok": true, "message_ts": m.TS})
			return
		}
		s.reply(w, map[string]any{"ok": true, "channel": m.Channel, "ts": m.TS, "text": m.Text})
	case "conversations.history", "conversations.replies":
		// The channel's top-level messages newest first, or a thread's
		// messages parent first, with their metadata when asked.
		s.mu.Lock()
		var out []map[string]any
		for _, m := range s.messages {
			if m.Method != "chat.postMessage" || m.Channel != f("channel") {
				continue
			}
			if method == "conversations.history" && m.ThreadTS != "" || method == "conversations.replies" && m.ThreadTS != f("ts") && m.TS != f("ts") {
				continue
			}
			// A message updated since shows as it is now.
			for _, u := range s.messages {
				if u.Method == "chat.update" && u.Channel == m.Channel && u.TS == m.TS {
					m.Text, m.Blocks = u.Text, u.Blocks
					if len(u.Metadata) > 0 {
						m.Metadata = u.Metadata
					}
				}
			}
			msg := map[string]any{"type": "message", "ts": m.TS, "text": m.Text, "thread_ts": m.ThreadTS}
			if len(m.Blocks) > 0 {
				msg["blocks"] = m.Blocks
			}
			if f("include_all_metadata") == "1" && len(m.Metadata) > 0 {
				msg["metadata"] = m.Metadata
			}
			out = append(out, msg)
		}
		if method == "conversations.replies" {
			// A file shared in the thread shows there as a message.
			for _, u := range s.uploads {
				if u.Channel == f("channel") && u.ThreadTS == f("ts") {
					out = append(out, map[string]any{"type": "message", "ts": s.nextTS(), "thread_ts": u.ThreadTS,
						"files": []map[string]any{{"id": u.ID, "name": u.Filename, "title": u.Title}}})
				}
			}
		}
		s.mu.Unlock()
		if method == "conversations.history" {
			slices.Reverse(out)
		}
		s.reply(w, map[string]any{"ok": true, "messages": out, "has_more": false})
	case "conversations.open":
		// A direct message with the user: its channel id is "D" and theirs.
		s.reply(w, map[string]any{"ok": true, "channel": map[string]any{"id": "D" + strings.Split(f("users"), ",")[0], "is_im": true}})
	case "usergroups.users.list":
		s.mu.Lock()
		members, ok := s.groups[f("usergroup")]
		s.mu.Unlock()
		if !ok {
			s.reply(w, map[string]any{"ok": false, "error": "no_such_subteam"})
			return
		}
		s.reply(w, map[string]any{"ok": true, "users": members})
	case "views.publish":
		s.mu.Lock()
		s.published = append(s.published, Published{User: f("user_id"), View: raw(f("view"))})
		s.mu.Unlock()
		s.reply(w, map[string]any{"ok": true, "view": map[string]any{"id": "VHOME"}})
	case "views.open":
		s.mu.Lock()
		s.views = append(s.views, View{TriggerID: f("trigger_id"), View: raw(f("view"))})
		s.mu.Unlock()
		s.reply(w, map[string]any{"ok": true, "view": map[string]any{"id": "V1"}})
	case "chat.getPermalink":
		ts := strings.ReplaceAll(f("message_ts"), ".", "")
		s.reply(w, map[string]any{"ok": true, "channel": f("channel"), "permalink": "https://fake.slack.com/archives/" + f("channel") + "/p" + ts})
	case "reactions.add":
		s.mu.Lock()
		s.reactions = append(s.reactions, Reaction{Channel: f("channel"), TS: f("timestamp"), Name: f("name")})
		s.mu.Unlock()
		s.reply(w, map[string]any{"ok": true})
	case "files.info":
		s.mu.Lock()
		file, ok := s.files[f("file")]
		s.mu.Unlock()
		if !ok {
			s.reply(w, map[string]any{"ok": false, "error": "file_not_found"})
			return
		}
		file.FileAccess = ""
		s.reply(w, map[string]any{"ok": true, "file": file, "comments": []any{}, "paging": map[string]int{}})
	case "files.getUploadURLExternal":
		s.mu.Lock()
		s.seq++
		id := fmt.Sprintf("FB%04d", s.seq)
		s.staged[id] = Upload{ID: id, Filename: f("filename")}
		s.mu.Unlock()
		s.reply(w, map[string]any{"ok": true, "upload_url": s.srv.URL + "/upload/" + id, "file_id": id})
	case "files.completeUploadExternal":
		var files []struct{ ID, Title string }
		json.Unmarshal([]byte(f("files")), &files)
		var done []map[string]string
		var echo []File
		s.mu.Lock()
		for _, file := range files {
			u, ok := s.staged[file.ID]
			if !ok {
				s.mu.Unlock()
				s.reply(w, map[string]any{"ok": false, "error": "file_not_found"})
				return
			}
			delete(s.staged, file.ID)
			u.Channel, u.ThreadTS, u.Title, u.At = f("channel_id"), f("thread_ts"), file.Title, time.Now()
			s.uploads = append(s.uploads, u)
			done = append(done, map[string]string{"id": u.ID, "title": u.Title})
			s.files[u.ID] = File{ID: u.ID, Name: u.Filename, Title: u.Title, Size: len(u.Content),
				URLPrivateDownload: s.srv.URL + "/files/" + u.ID + "/download/" + u.Filename}
			s.content[u.ID] = u.Content
			echo = append(echo, s.files[u.ID])
		}
		echoing := s.opts.EchoBotUploads && len(echo) > 0
		if echoing {
			// Owed from the moment the upload shows (Settled).
			s.echoing++
		}
		s.mu.Unlock()
		if s.loseNow(method) {
			hangUp(w)
		} else {
			s.reply(w, map[string]any{"ok": true, "files": done})
		}
		if echoing {
			go func() {
				s.SendEvent(MessageEvent{Type: "message", Subtype: "file_share", Channel: f("channel_id"), User: s.opts.BotUserID,
					BotID: "B" + s.opts.BotUserID, TS: s.TS(), ThreadTS: f("thread_ts"), Files: echo})
				s.mu.Lock()
				s.echoing--
				s.mu.Unlock()
			}()
		}
	default:
		s.reply(w, map[string]any{"ok": false, "error": "unknown_method"})
	}
}

func raw(s string) json.RawMessage {
	if s == "" {
		return nil
	}
	return json.RawMessage(s)
}

func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+s.opts.BotToken {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	if s.fail(w, r, "download") {
		return
	}
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/files/"), "/")
	s.mu.Lock()
	data, ok := s.content[parts[0]]
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Write(data)
}

func (s *Server) response(w http.ResponseWriter, r *http.Request) {
	if s.fail(w, r, "response_url") {
		return
	}
	var resp Response
	if err := json.NewDecoder(r.Body).Decode(&resp); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.responses = append(s.responses, resp)
	s.mu.Unlock()
	w.Write([]byte("ok"))
}

func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/upload/")
	mr, err := r.MultipartReader()
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var content []byte
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if part.FormName() == "file" {
			content, _ = io.ReadAll(part)
		}
		part.Close()
	}
	s.mu.Lock()
	u, ok := s.staged[id]
	if ok {
		u.Content = content
		s.staged[id] = u
	}
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Write([]byte("OK - " + strconv.Itoa(len(content))))
}
