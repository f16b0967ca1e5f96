import psycopg


def test_pg_url_is_a_fresh_empty_database(pg_url: str) -> None:
    with psycopg.connect(pg_url) as conn:
        n = conn.execute("select count(*) from pg_class where relnamespace = 'public'::regnamespace").fetchone()
    assert n == (0,)
