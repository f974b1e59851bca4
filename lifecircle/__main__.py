"""Allow ``python -m lifecircle``."""

from lifecircle.cli import main

if __name__ == "__main__":
    main()
