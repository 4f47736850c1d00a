package dev.kastor.steps.kube;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;

/** One object of the input, with where it came from (for messages): file and 1-based document index. */
record Manifest(String file, int document, GenericKubernetesResource object) {
    String where() {
        return file + " document " + document;
    }

    String id() {
        var m = object.getMetadata();
        return object.getKind() + " " + (m.getNamespace() == null ? "" : m.getNamespace() + "/") + m.getName();
    }

    String group() {
        String av = object.getApiVersion();
        int slash = av.indexOf('/');
        return slash < 0 ? "" : av.substring(0, slash);
    }

    String version() {
        String av = object.getApiVersion();
        return av.substring(av.indexOf('/') + 1);
    }

    /** CRDs first, then Namespaces, then the rest in input order: what later objects need must exist first. */
    int rank() {
        if (object.getKind().equals("CustomResourceDefinition") && group().equals("apiextensions.k8s.io")) return 0;
        if (object.getKind().equals("Namespace") && group().isEmpty()) return 1;
        return 2;
    }
}
