package dev.kastor.steps.k8s;

import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;

/** A named object of some resource type: what a wait watches and what a message names ({@code Kind namespace/name}). */
public record ObjectRef(ResourceDefinitionContext type, String namespace, String name) {
    public String kind() {
        return type.getKind();
    }

    @Override
    public String toString() {
        return type.getKind() + " " + (namespace == null ? "" : namespace + "/") + name;
    }
}
