"""futu-tui: the Textual trading workstation.

Textual reads its frame-rate cap once, when it is first imported. At up to 120 frames/s a
key's frame waits at most ~8 ms for its slot instead of ~17 (frames are still drawn only when
something changed). 240 cut keys' p90 a little more but made the order form's p99 under load
worse: a form takes several refreshes, and more of them became frames. A TEXTUAL_FPS set by
the user wins.
"""

import os

os.environ.setdefault("TEXTUAL_FPS", "120")
