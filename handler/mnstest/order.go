package mnstest

// Delivery order. The service stores a queue's messages on several data nodes; a receive picks
// one node that has messages and returns at once what it finds there, up to numOfMessages, so a
// batch may hold fewer messages than are visible and the order across nodes is not the send
// order ("Why do BatchReceiveMessage and BatchPeekMessage return fewer messages than the number
// of visible messages in a queue?", Simple Message Queue support; the FAQ on batch operations
// gives ten messages received as m2, m4, m6, m8, m10 and then m1, m3, m5, m7, m9). The emulator
// models that, seeded (WithSeed), unless WithStrictOrder: each message is written to one of
// `stripes` stripes, and a receive or peek reads one stripe, chosen at random among those with a
// visible message, in priority order, then visible time, then send order. Whether priority is
// kept across nodes is not documented; here it holds within a stripe only.
const stripes = 4

// takeLocked returns the messages, of visible (in strict order, as visibleLocked gives them),
// that a receive or peek asking for n takes, in the order it returns them.
func (s *Server) takeLocked(visible []*message, n int) []*message {
	if s.cfg.strictOrder || len(visible) == 0 {
		return visible[:min(n, len(visible))]
	}
	var have [stripes]bool
	count := 0
	for _, m := range visible {
		if !have[m.stripe] {
			have[m.stripe] = true
			count++
		}
	}
	pick := s.order.Intn(count)
	stripe := 0
	for i := range stripes {
		if have[i] {
			if pick == 0 {
				stripe = i
				break
			}
			pick--
		}
	}
	out := make([]*message, 0, n)
	for _, m := range visible {
		if m.stripe == stripe && len(out) < n {
			out = append(out, m)
		}
	}
	return out
}
