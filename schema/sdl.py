"""Print the schema's SDL: ``python -m schema.sdl > schema.graphql`` (``make schema``)."""

from schema.build import build_schema


def sdl() -> str:
    return build_schema().as_str() + "\n"


if __name__ == "__main__":
    print(sdl(), end="")
