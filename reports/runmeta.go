package reports

import (
	"encoding/json"
	"io"

	"github.com/carpathian-ai/carpathian-conform/load"
)

// WriteRunMetaFile writes a results file's run metadata to path (see
// load.MetaPath) the way every report is written: whole or not at all.
func WriteRunMetaFile(path string, stdout io.Writer, m load.RunMeta) error {
	return WriteFile(path, stdout, "run metadata", func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(m)
	})
}
