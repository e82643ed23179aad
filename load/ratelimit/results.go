package ratelimit

import (
	"net/http"
	"strconv"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// AttackName labels the results a ratelimit run writes.
const AttackName = "carpathian-conform ratelimit"

// Result converts a call to vegeta's result, so --output (load's binary
// writer) saves a run that `vegeta report` and `vegeta plot` read as vegeta's
// own: an answer outside 2xx/3xx (a 429 above all) carries its status line
// as the Error, as vegeta's attacker sets it, or plots count it as OK.
// Bodies are not kept: the analysis does not need them.
func (c Call) Result() vegeta.Result {
	r := vegeta.Result{
		Attack:    AttackName + " " + string(c.Phase),
		Seq:       uint64(c.Seq),
		Code:      uint16(c.Status),
		Timestamp: c.Sent,
		Latency:   c.Latency,
		BytesOut:  uint64(c.BytesOut),
		BytesIn:   uint64(c.BytesIn),
		Error:     c.Error,
		Method:    c.Method,
		URL:       c.URL,
		Headers:   c.Header,
	}
	if r.Error == "" && c.Status != 0 && (c.Status < 200 || c.Status >= 400) {
		r.Error = strconv.Itoa(c.Status) + " " + http.StatusText(c.Status)
	}
	return r
}
