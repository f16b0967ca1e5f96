"""A SQLModel app (SQLModel's own global MetaData: `heroes:SQLModel.metadata`)."""

from sqlmodel import Field, SQLModel


class Team(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True, max_length=60)
    headquarters: str


class Hero(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True)
    secret_name: str
    age: int | None = Field(default=None, index=True)
    power: int = 5  # a Python-side default: pydantic's, not the database's
    team_id: int | None = Field(default=None, foreign_key="team.id")
