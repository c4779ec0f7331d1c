-- Spanish keywords of the LUXFREE triage (matched folded: no accents, any case).
return {
  danger = {
    "sin luz", "se fue la luz", "chispas", "chispa", "cortocircuito", "corto circuito", "olor a quemado",
    "huele a quemado", "humo", "cable expuesto", "cables expuestos", "cable pelado", "descarga electrica",
    "electrocut", "incendio", "fuego", "poste caido",
  },
  billing = {
    "factura", "facturacion", "cobro", "cobraron", "pago", "recibo", "presupuesto", "cotizacion",
    "reembolso", "tarifa", "cargo",
  },
  installation = {
    "instalacion", "instalar", "panel solar", "paneles solares", "fotovoltaic", "inversor", "cotizar sistema",
  },
  lighting = { "luminaria", "lampara", "alumbrado", "foco", "farola", "reflector", "poste" },
  maintenance = { "mantenimiento", "limpieza de paneles", "revision", "preventivo" },
}
