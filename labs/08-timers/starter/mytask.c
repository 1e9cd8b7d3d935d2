/* Lab 08 starter: append one line to /var/lib/mytask/runs, exit 0. */
int main(void)
{
	/* TODO */
	return 0;
}
