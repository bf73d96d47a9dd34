package slackbot

import "time"

// Metrics counts what the bot does. The operations adapter implements it
// with Prometheus; the bot only needs these methods.
type Metrics interface {
	Upload(files int)
	FileRead(kind string)
	FileRefused()
	Balance(balanced bool)
	Processed(took time.Duration, err error)
	Reconnect()
	SlackError(call string)
}

type nopMetrics struct{}

func (nopMetrics) Upload(int)                     {}
func (nopMetrics) FileRead(string)                {}
func (nopMetrics) FileRefused()                   {}
func (nopMetrics) Balance(bool)                   {}
func (nopMetrics) Processed(time.Duration, error) {}
func (nopMetrics) Reconnect()                     {}
func (nopMetrics) SlackError(string)              {}
