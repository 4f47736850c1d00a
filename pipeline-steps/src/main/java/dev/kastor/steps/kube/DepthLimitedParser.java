package dev.kastor.steps.kube;

import org.snakeyaml.engine.v2.events.Event;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.parser.Parser;

/**
 * Refuses mappings and sequences nested deeper than a limit, as the events stream by: snakeyaml-engine 3.x has no such
 * setting, and its composer and constructor recurse once per level, so 20,000 levels end in a StackOverflowError.
 * The parser itself keeps its state on the heap, so counting its events is safe at any depth.
 */
final class DepthLimitedParser implements Parser {
    private final Parser parser;
    private final int maxDepth;
    private int depth;

    DepthLimitedParser(Parser parser, int maxDepth) {
        this.parser = parser;
        this.maxDepth = maxDepth;
    }

    @Override
    public boolean checkEvent(Event.ID id) {
        return parser.checkEvent(id);
    }

    @Override
    public Event peekEvent() {
        return parser.peekEvent();
    }

    @Override
    public boolean hasNext() {
        return parser.hasNext();
    }

    @Override
    public Event next() {
        Event e = parser.next();
        switch (e.getEventId()) {
            case MappingStart, SequenceStart -> {
                if (++depth > maxDepth) {
                    throw new YamlEngineException("nesting deeper than " + maxDepth + " levels of mappings and sequences"
                            + e.getStartMark().map(m -> " at line " + (m.getLine() + 1) + ", column " + (m.getColumn() + 1)).orElse("")
                            + "; no Kubernetes object comes near it: check that this is the input you meant");
                }
            }
            case MappingEnd, SequenceEnd -> depth--;
            case DocumentStart -> depth = 0;
            default -> { }
        }
        return e;
    }
}
