import sys
from pathlib import Path

# Reuse the WebChatService page harness (a bus + service over the in-process mock GMS).
sys.path.insert(0, str(Path(__file__).parent.parent / "webchat"))
