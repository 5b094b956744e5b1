package org.ristretto.core.backend;

import org.ristretto.core.quant.GgmlType;

/** The name, type, shape and owner every backend's tensor carries; backends add where the data lives. */
public abstract class AbstractTensor implements Tensor {
    private final String name;
    private final GgmlType type;
    private final int columns;
    private final int rows;
    private final Backend backend;

    protected AbstractTensor(String name, GgmlType type, int columns, int rows, Backend backend) {
        this.name = name;
        this.type = type;
        this.columns = columns;
        this.rows = rows;
        this.backend = backend;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final GgmlType type() {
        return type;
    }

    @Override
    public final int columns() {
        return columns;
    }

    @Override
    public final int rows() {
        return rows;
    }

    @Override
    public final Backend backend() {
        return backend;
    }

    @Override
    public String toString() {
        return name + " (" + type.ggmlName() + ", " + columns + "x" + rows + ")";
    }
}
