"""`python -m multivector`: the same command as the `multivector` console script."""

from multivector.cli import main

if __name__ == "__main__":
    main()
