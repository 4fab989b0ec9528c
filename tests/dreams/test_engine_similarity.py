"""Pure tests of the near-duplicate machinery (no database)."""

import random

from dreams.engines import similarity


def test_it_treats_paraphrases_with_the_same_numbers_as_one_fact():
    a = similarity.tokens("The nightly ETL job takes about 45 minutes; never start a backfill while it runs.")
    b = similarity.tokens("Nightly ETL takes ~45 minutes, so don't start backfills during it.")
    assert similarity.same_fact(a, b)


def test_it_keeps_facts_apart_when_their_numbers_differ():
    a = similarity.tokens("Status page updates go out every 30 minutes during an incident.")
    b = similarity.tokens("Status page updates go out every 60 minutes during an incident.")
    assert not similarity.same_fact(a, b)


def test_it_keeps_unrelated_facts_on_the_same_topic_apart():
    a = similarity.tokens("Never run schema migrations during an incident.")
    b = similarity.tokens("Page the incident commander for any outage over 5 minutes.")
    assert not similarity.same_fact(a, b)


def test_it_is_deterministic_across_calls():
    tokens = similarity.tokens("Rotate the signing key every 90 days with keyctl rotate --all.")
    assert similarity.signature(tokens) == similarity.signature(frozenset(sorted(tokens)))


def test_it_clusters_copies_among_many_unrelated_facts():
    rng = random.Random(7)
    vocabulary = [f"word{i}" for i in range(3000)]
    facts = [" ".join(rng.sample(vocabulary, 8)) for _ in range(2000)]
    copies = ["The invoices API rejects amounts above 10000 EUR with HTTP 422.",
              "Invoices API: amounts over 10000 EUR are rejected with a 422.",
              "note: the invoices api rejects amounts above 10000 eur (http 422)"]
    positions = [5, 900, 1999]
    for position, copy in zip(positions, copies):
        facts.insert(position, copy)
    token_sets = [similarity.tokens(f) for f in facts]

    groups = similarity.clusters(token_sets)

    assert len(groups) == 1
    assert [facts[i] for i in groups[0]] == copies


def test_it_finds_no_clusters_in_distinct_facts():
    facts = ["Deploys freeze on Fridays after 15:00.", "The VPN gateway lives in eu-central-1.",
             "Backups are kept for 35 days.", "Use psql -h db.internal for the reporting replica."]
    assert similarity.clusters([similarity.tokens(f) for f in facts]) == []


def test_rewordings_of_one_specific_value_cluster_even_when_few_words_are_shared():
    facts = [
        "The certificate renewal job runs at 03:15 CET; do not rotate keys before it.",
        "Note: certificate renewal happens at 03:15 CET, so key rotation waits for it.",
        "Certificate renewal job: 03:15 CET. Rotate keys only after it.",
        "Key rotation is blocked until the certificate renewal at 03:15 CET finishes.",
        "The backup job runs at 03:15 CET on weekdays.",  # same value, different fact
        "Certificates renew every 90 days.",
    ]
    token_sets = [similarity.tokens(f) for f in facts]
    groups = similarity.clusters(token_sets, heads=[similarity.head(f) for f in facts])
    assert groups == [[0, 1, 2, 3]]
    assert similarity.head(facts[1]) == "certificate" and similarity.head(facts[4]) == "backup"
    assert not similarity.loosely_same(token_sets[0], token_sets[4], "certificate", "backup")
    assert [0, 1, 2, 3] not in similarity.clusters(token_sets)  # without subjects: the strict threshold only


def test_a_lone_small_count_is_not_a_distinctive_value():
    a = similarity.tokens("Each shard keeps 3 replicas in the primary zone for writes.")
    b = similarity.tokens("The primary zone keeps 3 spare nodes for writes.")
    assert not similarity.distinctive_numbers(a)
    assert not similarity.loosely_same(a, b)
