package dev.kastor.steps.kube;

/**
 * How much input {@code kastor kube apply} reads before it refuses, checked before any parsing.
 *
 * @param maxInputBytes most bytes of one input: a file (of a directory, or of a pulled artifact) or stdin
 * @param maxDocumentBytes most bytes of one YAML document of an input
 * @param maxNestingDepth most levels of mappings and sequences within one document
 */
record ManifestLimits(long maxInputBytes, long maxDocumentBytes, int maxNestingDepth) {
    /**
     * Well above real manifests, far below what hurts. Per document 8 MiB: kube-apiserver refuses request bodies over
     * 3 MiB and etcd stores objects up to 1.5 MiB (its default request limit), so no document past a few MiB can ever
     * be applied; YAML's indentation can make a document larger than its JSON, hence the headroom. Per input 256 MiB:
     * {@code kustomize build} of a whole platform, CRDs included, is tens of MiB. Nesting 250: the deepest real
     * manifests (CRD openAPIV3Schema) use a few dozen levels, and 250 keeps snakeyaml's and Jackson's recursion far from
     * the stack's end (Jackson itself stops at 500).
     */
    static final ManifestLimits DEFAULT = new ManifestLimits(256L * 1024 * 1024, 8L * 1024 * 1024, 250);
}
