"""`python -m spaceport_sfm`: run an SfM worker against RabbitMQ and the configured object store."""

from spaceport.runtime import bootstrap
from spaceport_sfm.handler import STAGE


def main() -> None:
    """Start the worker; settings come from SPACEPORT_* environment variables."""
    bootstrap.main(STAGE)


if __name__ == "__main__":
    main()
