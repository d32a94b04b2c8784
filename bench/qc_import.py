# Runs `qc init --import FILE.qdpx` (PyPI qualitative-coding 1.7.8) with two bugs in qc's own
# REFI-QDA reader (qualitative_coding/refi_qda/reader.py) patched in memory, so that bench/run.sh
# can load quire's codings into qc and time qc's queries on the same data. Nothing in
# site-packages is edited; everything else, including the import itself, is qc's own code.
#
#   1. REFIQDAReader.unpack_sources calls `breakpoint()` (a debugging leftover) for every source,
#      so any unattended import stops in pdb and dies with bdb.BdbQuit. We make breakpoint() a
#      no-op for this process (sys.breakpointhook), which is what PYTHONBREAKPOINT=0 does.
#   2. Selections without a "line:N" name (any .qdpx not written by qc) are placed by
#      REFIQDAReader.line_positions / get_line_for_position, which are both wrong:
#      line_positions iterates over the characters of the text, not its lines, and
#      get_line_for_position returns the first line whose start <= position, i.e. always line 0.
#      Every coding would land on line 0 of its document. We replace both with the mapping qc's
#      own writer (REFIQDAWriter.line_positions) uses: lines as read by `for line in fh` in text
#      mode, 0-based (qc's coded_lines, viewer and writer all index lines from 0), and a
#      code-point offset belongs to the line whose [start, end) holds it.
#
# Usage: python3 bench/qc_import.py FILE.qdpx   (run in an empty directory, like qc init --import)
import bisect
import sys
from importlib.metadata import entry_points

from qualitative_coding.refi_qda.reader import REFIQDAReader

# Bug 1: the stray breakpoint() in unpack_sources.
sys.breakpointhook = lambda *args, **kwargs: None


# Bug 2: correct line positions (same reading as REFIQDAWriter.line_positions).
def line_positions(self, corpus_file_path):
    """returns a list of (start, end) code-point positions for lines in doc."""
    lines = []
    index = 0
    with (self.corpus.corpus_dir / corpus_file_path).open() as fh:
        for line in fh:
            lines.append((index, index + len(line)))
            index += len(line)
    return lines


def get_line_for_position(self, position, line_positions):
    """0-based index of the line holding code-point offset `position`."""
    starts = [start for start, _ in line_positions]
    line = bisect.bisect_right(starts, position) - 1
    return min(max(line, 0), max(len(line_positions) - 1, 0))


REFIQDAReader.line_positions = line_positions
REFIQDAReader.get_line_for_position = get_line_for_position

if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: qc_import.py FILE.qdpx")
    (qc,) = entry_points(group="console_scripts", name="qc")
    qc.load()(args=["init", "--import", sys.argv[1]], prog_name="qc")
