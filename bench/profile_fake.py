"""Where the fake GitHub spends its CPU on one repository-facts batch.

``python -m bench.profile_fake [--repos 2000] [--batch 50] [--rounds 20]``
builds the benchmark organisation, then analyses and executes the collectors'
own ``RepositoryFacts`` query (the text ``collectors.queries`` sends) over
``--batch`` repositories with the fake's GraphQL engine, in this process and
this thread, so that cProfile sees all of it. It prints milliseconds per
batch (analysis = parse/validate/cost, execution = graphql-core resolvers)
and the top functions by own time.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from datetime import UTC, datetime

from bench.generate import Settings, generate
from collectors.queries import repository_facts_query
from tests.fake_github.graphql_exec import GraphQLEngine, RateLimitInfo
from tests.fake_github.rest import RestApi


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_fake", description=__doc__)
    parser.add_argument("--repos", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    generated = generate(args.repos, datetime.now(UTC))
    names = [plan.name for plan in generated.plans.values() if not plan.archived]
    engine = GraphQLEngine(generated.org, RestApi(generated.org))
    query = repository_facts_query(args.batch, Settings().signed_commit_number)
    info = RateLimitInfo(cost=1, limit=5000, remaining=5000, used=0, reset_at="", node_count=0)
    start = time.perf_counter()
    engine.schema  # noqa: B018 - build the schema outside the measurement
    print(f"schema build: {time.perf_counter() - start:.2f} s")

    def batch_variables(round_number: int) -> dict[str, object]:
        offset = (round_number * args.batch) % max(1, len(names) - args.batch)
        chunk = names[offset : offset + args.batch]
        variables: dict[str, object] = {"org": generated.org.login}
        return variables | {f"n{i}": name for i, name in enumerate(chunk)}

    first = time.perf_counter()
    analysis = engine.analyse(query, batch_variables(0), None)
    print(
        f"first analysis (parse + validate + cost): {1000 * (time.perf_counter() - first):.0f} ms"
    )
    profiler = cProfile.Profile()
    analyse_s = execute_s = 0.0
    for round_number in range(args.rounds):
        variables = batch_variables(round_number)
        profiler.enable()
        t0 = time.perf_counter()
        analysis = engine.analyse(query, variables, None)
        t1 = time.perf_counter()
        payload = engine.execute(analysis, variables, None, info)
        t2 = time.perf_counter()
        profiler.disable()
        analyse_s += t1 - t0
        execute_s += t2 - t1
        if payload.get("errors"):
            print(f"errors in round {round_number}: {payload['errors'][:2]}")
    print(
        f"per {args.batch}-repository batch over {args.rounds} rounds: "
        f"analysis {1000 * analyse_s / args.rounds:.1f} ms (cached document), "
        f"execution {1000 * execute_s / args.rounds:.1f} ms; cost {analysis.cost} points, "
        f"{analysis.nodes} nodes"
    )
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats("tottime").print_stats(20)
    return 0


if __name__ == "__main__":
    sys.exit(main())
