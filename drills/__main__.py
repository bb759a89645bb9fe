"""``python -m drills``: flashcards and mock interviews in a terminal (see ``drills.terminal``)."""
import sys

from drills.terminal import main

if __name__ == "__main__":
    sys.exit(main())
