package dev.kastor.steps.kube;

import java.util.Map;
import org.snakeyaml.engine.v2.api.ConstructNode;
import org.snakeyaml.engine.v2.nodes.Tag;
import org.snakeyaml.engine.v2.resolver.ScalarResolver;
import org.snakeyaml.engine.v2.schema.JsonSchema;
import org.snakeyaml.engine.v2.schema.Schema;

/**
 * snakeyaml-engine's default JSON schema, plus YAML 1.1 merge keys: a plain (unquoted) {@code <<} key merges a mapping
 * or a list of mappings into the mapping it stands in, as kubectl's YAML decoder does. snakeyaml-engine's composer
 * does the merging (keys of the mapping itself win, earlier list entries win over later ones); this only makes the
 * plain {@code <<} resolve to the merge tag. A quoted {@code "<<"} stays an ordinary key, as in kubectl.
 */
final class MergeKeySchema implements Schema {
    private final JsonSchema json = new JsonSchema();
    private final ScalarResolver resolver = json.getScalarResolver();

    @Override
    public ScalarResolver getScalarResolver() {
        return (value, implicit) -> implicit && "<<".equals(value) ? Tag.MERGE : resolver.resolve(value, implicit);
    }

    @Override
    public Map<Tag, ConstructNode> getSchemaTagConstructors() {
        return json.getSchemaTagConstructors();
    }
}
