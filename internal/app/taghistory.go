package app

import (
	"time"
)

// pruneTagHistory deletes tag history older than registry.tag_history_window
// at start and every hour after. Rows a little past the window only keep a
// manifest from garbage collection a little longer; restores never reach
// past the window whatever is left.
func (s *Server) pruneTagHistory() {
	defer s.wg.Done()
	keep := s.cfg.Registry.TagHistoryWindow
	if keep <= 0 {
		return
	}
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		n, err := s.meta.PruneTagHistory(s.ctx, time.Now().Add(-keep))
		switch {
		case err != nil && s.ctx.Err() == nil:
			s.log.Error("prune tag history", "err", err)
		case n > 0:
			s.log.Info("pruned tag history", "changes", n, "older_than", keep)
		}
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
	}
}
