"""futu-tui: the Textual trading workstation.

Textual reads its frame-rate cap once, when it is first imported. At up to 240 frames/s a
key's frame waits at most ~4 ms for its slot instead of ~17 (frames are still drawn only when
something changed). A TEXTUAL_FPS set by the user wins.
"""

import os

os.environ.setdefault("TEXTUAL_FPS", "240")
