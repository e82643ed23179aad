// Package reports renders what the tool measured: tables for people (with
// tablewriter), JSON, JUnit and Markdown for CI and later comparison.
package reports

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/pkg/twwidth"
	"github.com/olekukonko/tablewriter/tw"
)

// TableWidth is the terminal width tables and text reports are laid out for.
const TableWidth = 100

// Table is the one way every report prints a table: a title line, then rows
// under a header, fitted to TableWidth. Narrow columns keep their natural
// width and the widest ones (a detail column) share what remains, wrapped at
// word boundaries. Columns whose alignment is tw.AlignRight in align (numbers)
// are right-aligned; align may be nil.
func Table(w io.Writer, title string, header []string, rows [][]string, align []tw.Align) error {
	if title != "" {
		if _, err := fmt.Fprintln(w, strings.Join(Wrap(title, TableWidth), "\n")); err != nil {
			return err
		}
	}
	widths := fitColumns(naturalWidths(header, rows), TableWidth)
	wrapped := make([][]string, len(rows))
	perColumn := tw.NewMapper[int, int]()
	for i, cw := range widths {
		perColumn.Set(i, cw+2) // tablewriter counts the cell's padding in its width
	}
	for r, row := range rows {
		wrapped[r] = make([]string, len(row))
		for c, cell := range row {
			if c < len(widths) {
				cell = strings.Join(Wrap(cell, widths[c]), "\n")
			}
			wrapped[r][c] = cell
		}
	}
	cfg := tablewriter.Config{
		Widths: tw.CellWidth{PerColumn: perColumn},
		Header: tw.CellConfig{Formatting: tw.CellFormatting{AutoFormat: tw.Off, AutoWrap: tw.WrapNone}},
		Row: tw.CellConfig{
			// Cells arrive wrapped to their column (Wrap breaks words
			// too long for it, which tablewriter's wrapping does not).
			Formatting: tw.CellFormatting{AutoWrap: tw.WrapNone},
			Alignment:  tw.CellAlignment{PerColumn: align},
		},
	}
	t := tablewriter.NewTable(w, tablewriter.WithConfig(cfg))
	t.Header(header)
	if err := t.Bulk(wrapped); err != nil {
		return err
	}
	return t.Render()
}

// naturalWidths is each column's widest line, header included.
func naturalWidths(header []string, rows [][]string) []int {
	n := len(header)
	for _, row := range rows {
		n = max(n, len(row))
	}
	widths := make([]int, n)
	measure := func(i int, cell string) {
		for line := range strings.SplitSeq(cell, "\n") {
			widths[i] = max(widths[i], twwidth.Width(line))
		}
	}
	for i, h := range header {
		measure(i, h)
	}
	for _, row := range rows {
		for i, cell := range row {
			measure(i, cell)
		}
	}
	for i := range widths {
		widths[i] = max(widths[i], 1)
	}
	return widths
}

// fitColumns shrinks content widths so that the table, with one space of
// padding each side and a border between and around columns, fits total. It
// caps the widest columns at a common width and leaves the others whole, so a
// long detail column takes all the room the short ones do not need.
func fitColumns(natural []int, total int) []int {
	n := len(natural)
	budget := total - 3*n - 1
	sum := 0
	for _, w := range natural {
		sum += w
	}
	if n == 0 || sum <= budget || budget < n {
		return natural
	}
	// Find the largest cap c with sum(min(w, c)) <= budget, narrowest first.
	sorted := slices.Clone(natural)
	slices.Sort(sorted)
	capWidth, rest := budget/n, budget
	for i, w := range sorted {
		share := rest / (n - i)
		if w > share {
			capWidth = share
			break
		}
		rest -= w
		capWidth = w
	}
	fitted := make([]int, n)
	spare := budget
	for i, w := range natural {
		fitted[i] = min(w, capWidth)
		spare -= fitted[i]
	}
	// Hand the rounding remainder to the capped columns, rightmost first.
	for i := n - 1; i >= 0 && spare > 0; i-- {
		if natural[i] > fitted[i] {
			fitted[i]++
			spare--
		}
	}
	return fitted
}

// Wrap breaks s into lines no wider than width display columns: at spaces
// where it can, inside a word where a word alone is too wide. Existing line
// breaks are kept.
func Wrap(s string, width int) []string {
	if width < 1 {
		width = 1
	}
	var lines []string
	for para := range strings.SplitSeq(s, "\n") {
		if twwidth.Width(para) <= width {
			lines = append(lines, para)
			continue
		}
		line, lineWidth := "", 0
		flush := func() {
			lines = append(lines, line)
			line, lineWidth = "", 0
		}
		for _, word := range strings.Fields(para) {
			ww := twwidth.Width(word)
			if lineWidth > 0 && lineWidth+1+ww > width {
				flush()
			}
			if ww > width {
				// A word too wide for any line (a URL, a JSON body) starts
				// its own line and is broken where the width runs out.
				for _, r := range word {
					rw := twwidth.Width(string(r))
					if lineWidth+rw > width {
						flush()
					}
					line += string(r)
					lineWidth += rw
				}
				continue
			}
			if lineWidth > 0 {
				line += " "
				lineWidth++
			}
			line += word
			lineWidth += ww
		}
		if line != "" {
			flush()
		}
	}
	return lines
}
