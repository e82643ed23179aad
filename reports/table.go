// Package reports renders what the tool measured: tables for people (with
// tablewriter), JSON, JUnit and Markdown for CI and later comparison.
package reports

import (
	"fmt"
	"io"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

// TableWidth is the terminal width tables are laid out for.
const TableWidth = 100

// Table is the one way every report prints a table: a title line, then rows
// under a header, wrapped to fit TableWidth. Columns whose alignment is
// tw.AlignRight in align (numbers) are right-aligned; align may be nil.
func Table(w io.Writer, title string, header []string, rows [][]string, align []tw.Align) error {
	if title != "" {
		fmt.Fprintln(w, title)
	}
	cfg := tablewriter.Config{
		MaxWidth: TableWidth,
		Header:   tw.CellConfig{Formatting: tw.CellFormatting{AutoFormat: tw.Off}},
		Row: tw.CellConfig{
			Formatting: tw.CellFormatting{AutoWrap: tw.WrapNormal},
			Alignment:  tw.CellAlignment{PerColumn: align},
		},
	}
	t := tablewriter.NewTable(w, tablewriter.WithConfig(cfg))
	t.Header(header)
	if err := t.Bulk(rows); err != nil {
		return err
	}
	return t.Render()
}
