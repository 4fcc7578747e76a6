package simulate

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"
)

// SVG draws queries per job (x) against the p95 of lag over duration (y), both on log scales, a
// point per row with its name, and the fixed intervals joined as a line: the frontier a poller
// that knows nothing of the job traces as its interval changes. Below and left of it is better.
func SVG(w io.Writer, title string, rows []Row) error {
	const width, height, left, right, top, bottom = 760.0, 480.0, 70.0, 200.0, 40.0, 50.0
	minX, maxX, minY, maxY := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, r := range rows {
		x, y := r.QueriesPerJob.Mean, math.Max(r.RelativeLag.P95, 0.01)
		minX, maxX, minY, maxY = math.Min(minX, x), math.Max(maxX, x), math.Min(minY, y), math.Max(maxY, y)
	}
	if len(rows) == 0 {
		minX, maxX, minY, maxY = 1, 10, 0.01, 1
	}
	lx0, lx1 := math.Log10(minX)-0.05, math.Log10(maxX)+0.05
	ly0, ly1 := math.Log10(minY)-0.1, math.Log10(maxY)+0.1
	px := func(x float64) float64 { return left + (math.Log10(x)-lx0)/(lx1-lx0)*(width-left-right) }
	py := func(y float64) float64 {
		return height - bottom - (math.Log10(math.Max(y, 0.01))-ly0)/(ly1-ly0)*(height-top-bottom)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%.0f" y="22" font-size="14">%s</text>`+"\n", left, html.EscapeString(title))
	fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="black"/>`+"\n", left, height-bottom, width-right, height-bottom)
	fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="black"/>`+"\n", left, top, left, height-bottom)
	for e := math.Floor(lx0); e <= lx1; e++ {
		for _, m := range []float64{1, 2, 5} {
			if v := m * math.Pow(10, e); math.Log10(v) >= lx0 && math.Log10(v) <= lx1 {
				fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" text-anchor="middle">%g</text>`+"\n", px(v), height-bottom+16, v)
			}
		}
	}
	for e := math.Floor(ly0); e <= ly1; e++ {
		for _, m := range []float64{1, 2, 5} {
			if v := m * math.Pow(10, e); math.Log10(v) >= ly0 && math.Log10(v) <= ly1 {
				fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" text-anchor="end">%g</text>`+"\n", left-6, py(v)+4, v)
			}
		}
	}
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" text-anchor="middle">queries per job (mean)</text>`+"\n", (left+width-right)/2, height-12)
	fmt.Fprintf(&b, `<text transform="translate(16 %.0f) rotate(-90)" text-anchor="middle">p95 of lag / duration</text>`+"\n", (top+height-bottom)/2)
	var frontier []string
	for _, r := range rows {
		if strings.HasPrefix(r.Policy, "fixed ") {
			frontier = append(frontier, fmt.Sprintf("%.1f,%.1f", px(r.QueriesPerJob.Mean), py(r.RelativeLag.P95)))
		}
	}
	if len(frontier) > 1 {
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="#999" stroke-dasharray="4 3"/>`+"\n", strings.Join(frontier, " "))
	}
	for _, r := range rows {
		color := "#555"
		if strings.HasPrefix(r.Policy, "iprodwatch") {
			color = "#c0392b"
		}
		x, y := px(r.QueriesPerJob.Mean), py(r.RelativeLag.P95)
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="4" fill="%s"/><text x="%.1f" y="%.1f" fill="%s">%s</text>`+"\n", x, y, color, x+7, y+4, color, html.EscapeString(r.Policy))
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}
