package reports

import (
	"encoding/json"

	"github.com/carpathian-ai/carpathian-conform/load"
)

// WriteRunMetaFile writes a results file's run metadata to path (see
// load.MetaPath), atomically like every report file: `report` never reads
// half of it.
func WriteRunMetaFile(path string, m load.RunMeta) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(path, append(b, '\n'))
}
