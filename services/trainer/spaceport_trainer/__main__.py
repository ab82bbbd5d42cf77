"""`python -m spaceport_trainer`: run the trainer as a worker."""

from spaceport.runtime import bootstrap
from spaceport_trainer.handler import STAGE


def main() -> None:
    """Start a trainer worker from `SPACEPORT_*` settings."""
    bootstrap.main(STAGE)


if __name__ == "__main__":
    main()
