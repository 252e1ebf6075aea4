/* acpi.h: just enough ACPI to switch the machine off (sleep state S5). */
#ifndef KOIZ_ACPI_H
#define KOIZ_ACPI_H

/* Returns only when the machine has no usable ACPI or did not switch off. */
void acpi_power_off(void);

#endif
