"""`python -m sopkit` runs the command-line interface."""

from sopkit.cli import main

if __name__ == "__main__":
    main()
