package ratelimit

import vegeta "github.com/tsenart/vegeta/v12/lib"

// AttackName labels the results a ratelimit run writes.
const AttackName = "carpathian-conform ratelimit"

// Result converts a call to vegeta's result, so --output (load's binary
// writer) saves a run that `vegeta report` reads.
// Bodies are not kept: the analysis does not need them.
func (c Call) Result() vegeta.Result {
	return vegeta.Result{
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
}
