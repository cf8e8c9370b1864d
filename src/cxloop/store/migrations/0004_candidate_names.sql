-- Names and a one-sentence summary for discovered topic candidates, proposed by an optional
-- OpenAI-compatible LLM endpoint (`cxloop topics suggest --llm`); `named_by` is the model that named it.
ALTER TABLE topic_candidates ADD COLUMN name_zh VARCHAR;
ALTER TABLE topic_candidates ADD COLUMN name_en VARCHAR;
ALTER TABLE topic_candidates ADD COLUMN summary VARCHAR;
ALTER TABLE topic_candidates ADD COLUMN named_by VARCHAR;
