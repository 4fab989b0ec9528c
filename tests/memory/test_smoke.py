def test_it_creates_and_reads_a_memory(admin, store):
    created = admin.beta.memory_stores.memories.create(store.id, path="/notes/a.md", content="hello")
    fetched = admin.beta.memory_stores.memories.retrieve(created.id, memory_store_id=store.id)
    assert fetched.content == "hello"
    assert fetched.content_sha256 == created.content_sha256
