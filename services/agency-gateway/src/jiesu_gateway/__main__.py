from jiesu_shared.runtime import serve

from jiesu_gateway.bootstrap import build_app
from jiesu_gateway.config import GatewaySettings


def main() -> None:
    settings = GatewaySettings()
    serve(build_app(settings), settings, "gateway")


if __name__ == "__main__":
    main()
